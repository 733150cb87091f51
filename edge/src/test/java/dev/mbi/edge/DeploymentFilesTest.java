package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.mbi.config.Env;
import dev.mbi.controlplane.ControlPlaneConfig;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment files say what the code expects: every k8s/ manifest and compose/ file parses,
 * and their references hold (selectors, service names and ports, RBAC, policies), and the
 * environment they give the services passes the services' own configuration checks.
 */
class DeploymentFilesTest {
    private static final Path K8S = Path.of("../k8s");
    private static final Path COMPOSE = Path.of("../compose");
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final List<HasMetadata> resources = new ArrayList<>();

    @BeforeAll
    static void load() throws Exception {
        try (KubernetesClient offline = new KubernetesClientBuilder().build();
             Stream<Path> files = Files.list(K8S)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                try (InputStream in = Files.newInputStream(file)) {
                    List<HasMetadata> items = offline.load(in).items();
                    assertFalse(items.isEmpty(), file + " holds no resources");
                    resources.addAll(items);
                }
            }
        }
    }

    private static <T extends HasMetadata> List<T> all(Class<T> type) {
        return resources.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private static <T extends HasMetadata> T one(Class<T> type, String namespace, String name) {
        return all(type).stream().filter(r -> name.equals(r.getMetadata().getName())
                        && java.util.Objects.equals(namespace, r.getMetadata().getNamespace())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + namespace + "/" + name + " in k8s/"));
    }

    /** The container's environment; a value from a Secret stands as "secret:NAME/KEY" (the cluster's operator makes it). */
    private static Map<String, String> env(PodTemplateSpec template) {
        return template.getSpec().getContainers().getFirst().getEnv().stream()
                .filter(e -> e.getValue() != null || e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null)
                .collect(Collectors.toMap(EnvVar::getName, e -> e.getValue() != null ? e.getValue()
                        : "secret:" + e.getValueFrom().getSecretKeyRef().getName() + "/" + e.getValueFrom().getSecretKeyRef().getKey()));
    }

    private static int portOf(String addr) {
        return Integer.parseInt(addr.substring(addr.lastIndexOf(':') + 1));
    }

    /** A host:port address must name a Service of k8s/ (short or cluster name) and one of its ports. */
    private static Service serviceFor(String addr, String fromNamespace) {
        String host = addr.substring(0, addr.lastIndexOf(':'));
        int port = Integer.parseInt(addr.substring(addr.lastIndexOf(':') + 1));
        String[] parts = host.split("\\.");
        String namespace = parts.length > 1 ? parts[1] : fromNamespace;
        Service service = one(Service.class, namespace, parts[0]);
        assertTrue(service.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == port), addr + ": no such port on the Service");
        return service;
    }

    @Test
    void everyResourceLivesInADeclaredNamespaceAndEveryServiceSelectsADeploymentPort() {
        List<String> namespaces = all(Namespace.class).stream().map(n -> n.getMetadata().getName()).toList();
        assertEquals(List.of("mbi", "mbi-runners"), namespaces);
        for (HasMetadata r : resources) {
            if (r instanceof ClusterRole || r instanceof ClusterRoleBinding) {
                // Cluster-wide: no namespace, and a name that says whose it is.
                assertEquals(null, r.getMetadata().getNamespace(), r.getKind() + " " + r.getMetadata().getName());
                assertTrue(r.getMetadata().getName().startsWith("mbi-"), r.getKind() + " " + r.getMetadata().getName());
            } else if (!(r instanceof Namespace)) {
                assertTrue(namespaces.contains(r.getMetadata().getNamespace()), r.getKind() + " " + r.getMetadata().getName());
            }
        }
        for (Service service : all(Service.class)) {
            List<Deployment> selected = all(Deployment.class).stream()
                    .filter(d -> d.getMetadata().getNamespace().equals(service.getMetadata().getNamespace()))
                    .filter(d -> d.getSpec().getTemplate().getMetadata().getLabels().entrySet()
                            .containsAll(service.getSpec().getSelector().entrySet()))
                    .toList();
            assertEquals(1, selected.size(), "Service " + service.getMetadata().getName() + " selects one Deployment");
            Deployment d = selected.getFirst();
            assertTrue(d.getSpec().getSelector().getMatchLabels().entrySet()
                    .stream().allMatch(e -> e.getValue().equals(d.getSpec().getTemplate().getMetadata().getLabels().get(e.getKey()))),
                    "Deployment " + d.getMetadata().getName() + " selects its own pods");
            for (var port : service.getSpec().getPorts()) {
                String target = port.getTargetPort().getStrVal();
                assertTrue(d.getSpec().getTemplate().getSpec().getContainers().stream()
                                .flatMap(c -> c.getPorts().stream()).anyMatch(p -> target.equals(p.getName())),
                        "Service " + service.getMetadata().getName() + " targets port " + target + " of its pods");
            }
        }
    }

    /** The Secret and key mounted at a path of the pod's first container, as "secret/key". */
    private static String secretFileSource(PodTemplateSpec template, String path) {
        for (VolumeMount mount : template.getSpec().getContainers().getFirst().getVolumeMounts()) {
            if (path.startsWith(mount.getMountPath() + "/")) {
                String file = path.substring(mount.getMountPath().length() + 1);
                Volume volume = template.getSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName()))
                        .findFirst().orElseThrow(() -> new AssertionError("no volume " + mount.getName()));
                assertNotNull(volume.getSecret(), path + " is not mounted from a Secret");
                String key = volume.getSecret().getItems().stream().filter(i -> i.getPath().equals(file))
                        .findFirst().orElseThrow(() -> new AssertionError(path + ": no such item in the Secret")).getKey();
                return volume.getSecret().getSecretName() + "/" + key;
            }
        }
        throw new AssertionError(path + " is not mounted");
    }

    /**
     * The pod's environment, with each *_FILE variable pointing at a file in the test's folder
     * holding a random value, as the Secret mounted there would.
     */
    private static Map<String, String> withSecretFiles(PodTemplateSpec template, Path dir) throws Exception {
        Map<String, String> env = new HashMap<>(env(template));
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (e.getKey().endsWith(Env.FILE_SUFFIX)) {
                secretFileSource(template, e.getValue());
                Path file = Files.writeString(dir.resolve(e.getKey()), java.util.UUID.randomUUID().toString());
                e.setValue(file.toString());
            }
        }
        return env;
    }

    @Test
    void theControlPlaneLaunchesRunnerPodsItMayManageAndTheyCanDialItBack(@TempDir Path secrets) throws Exception {
        Deployment cp = one(Deployment.class, "mbi", "control-plane");
        Map<String, String> env = withSecretFiles(cp.getSpec().getTemplate(), secrets);
        ControlPlaneConfig config = ControlPlaneConfig.from(new Env(env));
        assertEquals(ControlPlaneConfig.LauncherKind.KUBERNETES, config.launcher());
        assertEquals(1, cp.getSpec().getReplicas(), "one control-plane replica is supported (docs/decisions/0007)");
        // Resume tokens are signed with a key from a Secret, the same on every start: a restart keeps the sessions.
        assertEquals("secret:control-plane-signing-key/key", env.get("CONTROL_PLANE_SIGNING_KEY"));
        assertTrue(config.signingKey().given());
        Service service = serviceFor(config.runnerControlPlaneAddr(), "mbi");
        assertEquals(config.grpcPort(), cp.getSpec().getTemplate().getSpec().getContainers().getFirst().getPorts().getFirst().getContainerPort());
        assertEquals("control-plane", service.getMetadata().getName());
        assertEquals(config.grpcPort(), portOf(config.runnerControlPlaneAddr()), "runners dial the runners' port");
        // The API's port is the container's and the Service's too; the token comes from a Secret, never the manifest.
        assertTrue(cp.getSpec().getTemplate().getSpec().getContainers().getFirst().getPorts().stream()
                .anyMatch(p -> p.getContainerPort() == config.apiGrpcPort()));
        assertTrue(service.getSpec().getPorts().stream().anyMatch(p -> p.getPort() == config.apiGrpcPort()));
        assertEquals("secret:control-plane-token/token", env.get("CONTROL_PLANE_TOKEN"));

        // RBAC: pods in the runner namespace, for the control plane's service account, and reading nodes; nothing else.
        String runnerNamespace = config.fleet().namespace();
        Role role = one(Role.class, runnerNamespace, "runner-pods");
        assertEquals(1, role.getRules().size());
        assertEquals(List.of("pods"), role.getRules().getFirst().getResources());
        assertTrue(role.getRules().getFirst().getVerbs().containsAll(List.of("create", "delete", "list", "watch")));
        RoleBinding binding = one(RoleBinding.class, runnerNamespace, "control-plane-runner-pods");
        assertEquals("runner-pods", binding.getRoleRef().getName());
        String account = cp.getSpec().getTemplate().getSpec().getServiceAccountName();
        one(ServiceAccount.class, "mbi", account);
        assertTrue(binding.getSubjects().stream().anyMatch(s -> s.getName().equals(account) && s.getNamespace().equals("mbi")));
        // Nodes: read only, so that each node is a runner host for the warm pool.
        ClusterRole nodes = one(ClusterRole.class, null, "mbi-runner-nodes");
        assertEquals(1, nodes.getRules().size());
        assertEquals(List.of("nodes"), nodes.getRules().getFirst().getResources());
        assertEquals(List.of("get", "list", "watch"), nodes.getRules().getFirst().getVerbs());
        ClusterRoleBinding nodesBinding = one(ClusterRoleBinding.class, null, "mbi-control-plane-runner-nodes");
        assertEquals("mbi-runner-nodes", nodesBinding.getRoleRef().getName());
        assertTrue(nodesBinding.getSubjects().stream().anyMatch(s -> s.getName().equals(account) && s.getNamespace().equals("mbi")));
    }

    @Test
    void theEdgeFindsTheControlPlaneAndScalesOnCpu(@TempDir Path secrets) throws Exception {
        Deployment edge = one(Deployment.class, "mbi", "edge");
        // Drains and upgrades leave an edge serving.
        var budget = one(io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class, "mbi", "edge");
        assertEquals(1, budget.getSpec().getMinAvailable().getIntVal());
        assertTrue(budget.getSpec().getSelector().getMatchLabels().entrySet().stream().allMatch(e ->
                e.getValue().equals(edge.getSpec().getTemplate().getMetadata().getLabels().get(e.getKey()))), "the budget covers the edge's pods");
        Map<String, String> env = env(edge.getSpec().getTemplate());
        EdgeConfig config = EdgeConfig.from(new Env(env));
        assertEquals("control-plane", serviceFor(config.controlPlaneAddr(), "mbi").getMetadata().getName());
        // The edge calls the API port, with the control plane's own token (the same Secret).
        Deployment cp = one(Deployment.class, "mbi", "control-plane");
        ControlPlaneConfig controlPlane = ControlPlaneConfig.from(new Env(withSecretFiles(cp.getSpec().getTemplate(), secrets)));
        assertEquals(controlPlane.apiGrpcPort(), portOf(config.controlPlaneAddr()));
        assertEquals(env(cp.getSpec().getTemplate()).get("CONTROL_PLANE_TOKEN"), env.get("CONTROL_PLANE_TOKEN"));
        assertTrue(controlPlane.apiToken().matches(config.controlPlaneAccess().token()));
        // Only runners reach the runners' port, only the edge the API's, only Prometheus the metrics'.
        NetworkPolicy ingress = one(NetworkPolicy.class, "mbi", "control-plane-ingress");
        for (var rule : ingress.getSpec().getIngress()) {
            List<Integer> ports = rule.getPorts().stream().map(p -> p.getPort().getIntVal()).toList();
            String from = rule.getFrom().stream().allMatch(peer -> peer.getNamespaceSelector() == null)
                    ? rule.getFrom().getFirst().getPodSelector().getMatchLabels().get("app.kubernetes.io/name") : "runners";
            int expected = switch (from) {
                case "edge" -> controlPlane.apiGrpcPort();
                case "prometheus" -> controlPlane.metricsPort();
                default -> controlPlane.grpcPort();
            };
            assertEquals(List.of(expected), ports, rule.toString());
        }
        HorizontalPodAutoscaler hpa = one(HorizontalPodAutoscaler.class, "mbi", "edge");
        assertEquals("edge", hpa.getSpec().getScaleTargetRef().getName());
        assertEquals(70, hpa.getSpec().getMetrics().getFirst().getResource().getTarget().getAverageUtilization());
    }

    @Test
    void runnerPodsReachTheControlPlaneAndTheInternetButNotTheClusterOrTheMetadataAddress() {
        NetworkPolicy egress = one(NetworkPolicy.class, "mbi-runners", "runners-egress");
        // The launcher's pods carry this label (KubernetesLauncher, FleetConfig.LABEL_ROLE).
        assertEquals(Map.of("dev.mbi.role", "runner"), egress.getSpec().getPodSelector().getMatchLabels());
        assertEquals(List.of("Egress"), egress.getSpec().getPolicyTypes());
        Deployment cp = one(Deployment.class, "mbi", "control-plane");
        boolean toControlPlane = false;
        boolean toInternet = false;
        for (NetworkPolicyEgressRule rule : egress.getSpec().getEgress()) {
            for (var peer : rule.getTo()) {
                if (peer.getPodSelector() != null && cp.getSpec().getTemplate().getMetadata().getLabels().entrySet()
                        .containsAll(peer.getPodSelector().getMatchLabels().entrySet())) {
                    toControlPlane = rule.getPorts().stream().anyMatch(p -> p.getPort().getIntVal() == 50051);
                }
                if (peer.getIpBlock() != null) {
                    List<String> except = peer.getIpBlock().getExcept();
                    List<String> mustExclude = switch (peer.getIpBlock().getCidr()) {
                        case "0.0.0.0/0" -> List.of("0.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8", "224.0.0.0/4");
                        case "::/0" -> List.of("::1/128", "fc00::/7", "fe80::/10", "ff00::/8", "::ffff:0:0/96");
                        default -> throw new AssertionError("runners may reach only the internet: " + peer.getIpBlock());
                    };
                    for (String blocked : mustExclude) {
                        assertTrue(except.contains(blocked), "egress to " + blocked + " must be excluded: " + except);
                    }
                    toInternet = true;
                }
            }
        }
        assertTrue(toControlPlane, "runners may dial the control plane's gRPC port");
        assertTrue(toInternet, "runners may open pages on the internet");
        NetworkPolicy ingress = one(NetworkPolicy.class, "mbi-runners", "runners-deny-ingress");
        assertTrue(ingress.getSpec().getIngress() == null || ingress.getSpec().getIngress().isEmpty(), "nothing connects to runners");
        assertEquals("restricted", one(Namespace.class, null, "mbi-runners").getMetadata().getLabels()
                .get("pod-security.kubernetes.io/enforce"));
    }

    @Test
    void coturnUsesTheTurnRestSecretAndPrometheusScrapesTheEdge(@TempDir Path secrets) throws Exception {
        Deployment coturn = one(Deployment.class, "mbi", "coturn");
        var turnContainer = coturn.getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertTrue(turnContainer.getArgs().contains("--static-auth-secret=$(TURN_SECRET)"), turnContainer.getArgs().toString());
        // coturn and the control plane take the secret from the same Secret, never from a value in the files.
        SecretKeySelector coturnSecret = turnContainer.getEnv().stream().filter(e -> e.getName().equals("TURN_SECRET"))
                .findFirst().orElseThrow().getValueFrom().getSecretKeyRef();
        Deployment cp = one(Deployment.class, "mbi", "control-plane");
        Map<String, String> cpEnv = env(cp.getSpec().getTemplate());
        assertFalse(cpEnv.containsKey("TURN_SECRET") || cpEnv.containsKey("TURN_CREDENTIAL"), cpEnv.toString());
        assertEquals(coturnSecret.getName() + "/" + coturnSecret.getKey(),
                secretFileSource(cp.getSpec().getTemplate(), cpEnv.get("TURN_SECRET_FILE")));
        // Turned on, the control plane accepts a proper secret from that file.
        Map<String, String> turnOn = withSecretFiles(cp.getSpec().getTemplate(), secrets);
        turnOn.put("TURN_ENABLED", "true");
        assertTrue(ControlPlaneConfig.from(new Env(turnOn)).ice().turnEnabled());
        String turnConf = all(io.fabric8.kubernetes.api.model.ConfigMap.class).stream()
                .filter(c -> c.getMetadata().getName().equals("coturn")).findFirst().orElseThrow().getData().get("turnserver.conf");
        assertTrue(turnConf.contains("use-auth-secret"), turnConf);
        assertRelayKeepsOutOfPrivateRanges(turnConf);
        String prometheus = all(io.fabric8.kubernetes.api.model.ConfigMap.class).stream()
                .filter(c -> c.getMetadata().getName().equals("prometheus")).findFirst().orElseThrow().getData().get("prometheus.yml");
        JsonNode scrape = YAML.readTree(prometheus).get("scrape_configs").get(0);
        assertEquals("/metrics", scrape.get("metrics_path").asText());
        assertTrue(scrape.toString().contains("\"regex\":\"edge\""), scrape.toString());
        // The same alert rules as compose's (which PrometheusTest checks against a real Prometheus).
        String k8sAlerts = all(io.fabric8.kubernetes.api.model.ConfigMap.class).stream()
                .filter(c -> c.getMetadata().getName().equals("prometheus")).findFirst().orElseThrow().getData().get("alerts.yml");
        assertEquals(YAML.readTree(COMPOSE.resolve("prometheus/alerts.yml").toFile()), YAML.readTree(k8sAlerts));
        assertEquals("alerts.yml", YAML.readTree(prometheus).get("rule_files").get(0).asText());
        JsonNode cpScrape = YAML.readTree(prometheus).get("scrape_configs").get(1);
        assertTrue(cpScrape.toString().contains("\"regex\":\"control-plane\"") && cpScrape.toString().contains("\"regex\":\"metrics\""),
                cpScrape.toString());
        Deployment controlPlane = one(Deployment.class, "mbi", "control-plane");
        assertTrue(controlPlane.getSpec().getTemplate().getSpec().getContainers().getFirst().getPorts().stream()
                .anyMatch(p -> "metrics".equals(p.getName()) && p.getContainerPort() == 9464), "the control plane names its metrics port");
    }

    /** coturn relays nothing to private, loopback, link-local, CGNAT, multicast or IPv6 local ranges. */
    static void assertRelayKeepsOutOfPrivateRanges(String turnConf) {
        for (String line : List.of("denied-peer-ip=10.0.0.0-10.255.255.255", "denied-peer-ip=172.16.0.0-172.31.255.255",
                "denied-peer-ip=192.168.0.0-192.168.255.255", "denied-peer-ip=169.254.0.0-169.254.255.255",
                "denied-peer-ip=127.0.0.0-127.255.255.255", "denied-peer-ip=0.0.0.0-0.255.255.255",
                "denied-peer-ip=100.64.0.0-100.127.255.255", "denied-peer-ip=::1", "no-multicast-peers",
                "denied-peer-ip=fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "denied-peer-ip=fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff")) {
            assertTrue(turnConf.lines().anyMatch(l -> l.strip().equals(line)), "coturn must have " + line);
        }
    }

    @Test
    void composeCoturnKeepsOutOfPrivateRanges() throws Exception {
        assertRelayKeepsOutOfPrivateRanges(Files.readString(Path.of("../compose/coturn/turnserver.conf")));
    }

    // ------------------------------------------------------------------ compose

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{(\\w+)(?::([-?])([^}]*))?}");
    /** What the compose tests give for TURN_SECRET, which compose requires. */
    private static final String TURN_SECRET = "3f9a1c6e8b2d4f7a0c5e9b1d3f6a8c2e";

    /**
     * Compose's ${VAR:-default} with the defaults, ${VAR:?message} refused with the message when VAR
     * is not given (as compose refuses to start), and the given values for the rest.
     */
    private static String interpolate(String text, Map<String, String> values) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String given = values.get(m.group(1));
            if ((given == null || given.isEmpty()) && "?".equals(m.group(2))) {
                throw new IllegalArgumentException(m.group(1) + ": " + m.group(3));
            }
            String v = given != null ? given : m.group(3) == null ? "" : m.group(3);
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static JsonNode compose(String file, Map<String, String> values) throws Exception {
        return YAML.readTree(interpolate(Files.readString(COMPOSE.resolve(file)), values));
    }

    private static Map<String, String> env(JsonNode service) {
        Map<String, String> env = new HashMap<>();
        service.get("environment").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
        return env;
    }

    /** What compose requires to be set (${VAR:?...}), as an operator would set it. */
    /** What compose requires to be given: the shared API token and the TURN secret. */
    private static final Map<String, String> REQUIRED = Map.of("CONTROL_PLANE_TOKEN", "compose-token-0123456789abcdef",
            "TURN_SECRET", TURN_SECRET, "CONTROL_PLANE_SIGNING_KEY", "compose-signing-key-0123456789abcdefghij");

    @Test
    void theComposeStackWiresEdgeControlPlaneRunnersAndMonitoring() throws Exception {
        JsonNode root = compose("docker-compose.yml", REQUIRED);
        JsonNode services = root.get("services");
        for (String name : List.of("edge", "control-plane", "coturn", "prometheus", "grafana")) {
            assertNotNull(services.get(name), "compose service " + name);
        }
        JsonNode cp = services.get("control-plane");
        ControlPlaneConfig config = ControlPlaneConfig.from(new Env(env(cp)));
        assertEquals(ControlPlaneConfig.LauncherKind.DOCKER, config.launcher());
        // The engine the launcher talks to is the mounted socket.
        String socket = config.fleet().dockerHosts().getFirst().endpoint().getPath();
        assertTrue(cp.get("volumes").toString().contains(socket + ":" + socket), cp.get("volumes").toString());
        // Runners join a network the control plane is on, by its fixed name, range and no inter-container
        // traffic, and dial the control plane's fixed address there (which the runner firewall lets through).
        String runnerNetwork = config.fleet().network();
        String key = null;
        for (var e : root.get("networks").properties()) {
            if (e.getValue().has("name") && e.getValue().get("name").asText().equals(runnerNetwork)) {
                key = e.getKey();
            }
        }
        assertTrue(key != null && cp.get("networks").has(key), "control plane on the runners' network " + runnerNetwork);
        JsonNode runners = root.get("networks").get(key);
        assertEquals("false", runners.get("driver_opts").get("com.docker.network.bridge.enable_icc").asText());
        assertEquals(config.fleet().subnet().orElseThrow(), runners.get("ipam").get("config").get(0).get("subnet").asText());
        assertTrue(config.fleet().firewall());
        String cpAddress = cp.get("networks").get(key).get("ipv4_address").asText();
        assertEquals(cpAddress + ":" + config.grpcPort(), config.runnerControlPlaneAddr());
        assertTrue(cp.get("image").asText().startsWith("mbi/control-plane:"));
        // A restarted control-plane container takes its sessions back: the signing key is given, and it restarts.
        assertTrue(config.signingKey().given());
        assertEquals("unless-stopped", cp.get("restart").asText());
        assertEquals("mbi/runner:dev", config.fleet().image());

        EdgeConfig edge = EdgeConfig.from(new Env(env(services.get("edge"))));
        assertEquals("control-plane:" + config.apiGrpcPort(), edge.controlPlaneAddr());
        // One token for both, which compose requires to be set: there is no default to leave in place.
        assertTrue(config.apiToken().matches(edge.controlPlaneAccess().token()));
        String file = Files.readString(COMPOSE.resolve("docker-compose.yml"));
        assertEquals(2, file.split(java.util.regex.Pattern.quote("CONTROL_PLANE_TOKEN: ${CONTROL_PLANE_TOKEN:?"), -1).length - 1, file);
        assertTrue(services.get("edge").get("ports").get(0).asText().endsWith(":" + edge.port()));

        // TURN REST secret: the same variable for coturn and the control plane, required, with no default.
        assertTrue(services.get("coturn").get("command").toString().contains("--static-auth-secret=" + TURN_SECRET));
        assertTrue(Files.readString(COMPOSE.resolve("coturn/turnserver.conf")).contains("use-auth-secret"));
        assertEquals(TURN_SECRET, env(cp).get("TURN_SECRET"));
        IllegalArgumentException noSecret = assertThrows(IllegalArgumentException.class,
                () -> compose("docker-compose.yml", Map.of("CONTROL_PLANE_TOKEN", REQUIRED.get("CONTROL_PLANE_TOKEN"),
                        "CONTROL_PLANE_SIGNING_KEY", REQUIRED.get("CONTROL_PLANE_SIGNING_KEY"))));
        assertTrue(noSecret.getMessage().startsWith("TURN_SECRET: set TURN_SECRET"), noSecret.getMessage());
        Map<String, String> turnOn = env(cp);
        turnOn.put("TURN_ENABLED", "true");
        assertTrue(ControlPlaneConfig.from(new Env(turnOn)).ice().turnEnabled());
        for (String composeFile : List.of("docker-compose.yml", "docker-compose.remote-host.yml")) {
            assertFalse(Files.readString(COMPOSE.resolve(composeFile)).toLowerCase().contains("change-me"), composeFile + " has a default secret");
        }

        // Prometheus scrapes the edge; Grafana reads Prometheus and shows the dashboard.
        JsonNode scrape = YAML.readTree(COMPOSE.resolve("prometheus/prometheus.yml").toFile()).get("scrape_configs").get(0);
        assertEquals("edge:" + edge.port(), scrape.get("static_configs").get(0).get("targets").get(0).asText());
        JsonNode cpScrape = YAML.readTree(COMPOSE.resolve("prometheus/prometheus.yml").toFile()).get("scrape_configs").get(1);
        assertEquals("control-plane:" + config.metricsPort(), cpScrape.get("static_configs").get(0).get("targets").get(0).asText());
        JsonNode datasource = YAML.readTree(COMPOSE.resolve("grafana/provisioning/datasources/prometheus.yml").toFile())
                .get("datasources").get(0);
        assertEquals("http://prometheus:9090", datasource.get("url").asText());
        JsonNode dashboard = SessionJson.MAPPER.readTree(COMPOSE.resolve("grafana/dashboards/mbi.json").toFile());
        assertTrue(dashboard.get("panels").size() >= 5);
        for (JsonNode panel : dashboard.get("panels")) {
            assertEquals(datasource.get("uid").asText(), panel.get("datasource").get("uid").asText());
            assertTrue(panel.get("targets").get(0).get("expr").asText().contains("browser_")
                    || panel.get("targets").get(0).get("expr").asText().contains("up{"), panel.get("title").asText());
        }
        // Every file a service mounts from the repository exists.
        for (var service : services.properties()) {
            JsonNode volumes = service.getValue().get("volumes");
            if (volumes != null) {
                for (JsonNode v : volumes) {
                    String source = v.asText().split(":")[0];
                    if (source.startsWith("./")) {
                        assertTrue(Files.exists(COMPOSE.resolve(source)), service.getKey() + " mounts " + source);
                    }
                }
            }
        }
    }

    @Test
    void theRemoteRunnerHostOverrideAddsATlsEngineWhoseRunnersDialBack(@TempDir Path tls) throws Exception {
        for (String f : new String[] {"ca.pem", "cert.pem", "key.pem"}) {
            Files.writeString(tls.resolve(f), "x");
        }
        JsonNode override = compose("docker-compose.remote-host.yml",
                Map.of("REMOTE_DOCKER_HOST", "10.0.0.5", "CONTROL_PLANE_PUBLIC_ADDR", "10.0.0.1:50051"));
        Map<String, String> env = env(compose("docker-compose.yml", REQUIRED).get("services").get("control-plane"));
        env.putAll(env(override.get("services").get("control-plane")));
        env.put("DOCKER_HOSTS", env.get("DOCKER_HOSTS").replace("/etc/mbi/docker-tls/remote", tls.toString()));
        ControlPlaneConfig config = ControlPlaneConfig.from(new Env(env));
        assertEquals(List.of("local", "remote"), config.fleet().dockerHosts().stream().map(h -> h.name()).toList());
        var remote = config.fleet().dockerHosts().get(1);
        assertEquals("tcp://10.0.0.5:2376", remote.endpoint().toString());
        assertEquals("10.0.0.1:50051", remote.controlPlaneAddr().orElseThrow());
        assertTrue(override.get("services").get("control-plane").get("volumes").get(0).asText()
                .endsWith(":/etc/mbi/docker-tls/remote:ro"));
    }

    @Test
    void theRunnerImageStartsTheJvmWithTheProcessLaunchersFlags() throws Exception {
        String dockerfile = Files.readString(Path.of("../docker/runner.Dockerfile"));
        String entrypoint = dockerfile.substring(dockerfile.indexOf("ENTRYPOINT"));
        for (String flag : dev.mbi.controlplane.launch.ProcessRunnerLauncher.JVM_FLAGS) {
            assertTrue(entrypoint.contains("\"" + flag + "\""), "the runner image's entry point lacks " + flag);
        }
    }

    @Test
    void theRunnersAheadOfTimeCacheIsMadeWithTheProcessLaunchersFlags() throws Exception {
        // A cache is used only by a JVM started like the one that made it.
        String script = Files.readString(Path.of("../scripts/runner-aot.sh"));
        String flags = script.substring(script.indexOf("flags=("), script.indexOf(")", script.indexOf("flags=(")));
        java.util.List<String> made = java.util.Arrays.asList(flags.substring("flags=(".length()).trim().split("\\s+"));
        assertEquals(dev.mbi.controlplane.launch.ProcessRunnerLauncher.JVM_FLAGS, made);
    }
}
