package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus (Debian's, installed by make test) scrapes a real edge and control plane with
 * the shipped scrape configuration (only the targets point at this machine): its API reports the
 * live session on both, promtool accepts the configuration and the alert rules, and every
 * expression of the Grafana dashboard and the alert rules evaluates without error against the
 * scrape and names only metrics that exist.
 */
@Stack("MAX_SESSIONS=3")
class PrometheusTest {
    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
    private static final Path COMPOSE = Path.of("../compose");
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Pattern METRIC = Pattern.compile("\\b(browser_[a-z0-9_]+|up)\\b");

    private static String run(Path tool, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(tool.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), tool + " ended");
        assertEquals(0, p.exitValue(), tool + " " + String.join(" ", args) + ":\n" + out);
        return out;
    }

    private static JsonNode api(String base, String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = SessionJson.MAPPER.readTree(r.body());
        assertEquals("success", json.path("status").asText(), path + " -> " + r.body());
        return json.get("data");
    }

    private static JsonNode query(String base, String expr) throws Exception {
        return api(base, "/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
    }

    private static double single(String base, String expr) throws Exception {
        JsonNode result = query(base, expr).get("result");
        return result.isEmpty() ? Double.NaN : result.get(0).get("value").get(1).asDouble();
    }

    @Test
    void aRealPrometheusScrapesBothServicesAndEveryDashboardAndAlertExpressionEvaluates(TestStack stack, @TempDir Path dir)
            throws Exception {
        assertTrue(Files.isExecutable(PROMETHEUS) && Files.isExecutable(PROMTOOL),
                "Prometheus is not installed: apt-get install prometheus (make test does)");
        // The shipped scrape configuration, its targets pointed at this stack, scraping every second.
        ObjectNode config = (ObjectNode) YAML.readTree(COMPOSE.resolve("prometheus/prometheus.yml").toFile());
        ((ObjectNode) config.get("global")).put("scrape_interval", "1s").put("evaluation_interval", "1s");
        Path alerts = Files.copy(COMPOSE.resolve("prometheus/alerts.yml"), dir.resolve("alerts.yml"));
        config.putArray("rule_files").add(alerts.toString());
        for (JsonNode job : config.get("scrape_configs")) {
            ArrayNode targets = (ArrayNode) job.get("static_configs").get(0).get("targets");
            String target = targets.get(0).asText();
            int port = target.startsWith("edge:") ? stack.edge.port() : stack.controlPlane.metricsPort();
            assertTrue(target.startsWith("edge:") || target.startsWith("control-plane:"), target);
            targets.removeAll().add("127.0.0.1:" + port);
        }
        Path configFile = dir.resolve("prometheus.yml");
        YAML.writeValue(configFile.toFile(), config);
        run(PROMTOOL, "check", "config", configFile.toString());
        run(PROMTOOL, "check", "rules", COMPOSE.resolve("prometheus/alerts.yml").toString());

        int port = DockerTestEngines.freePort();
        String base = "http://127.0.0.1:" + port;
        Process prometheus = new ProcessBuilder(PROMETHEUS.toString(), "--config.file=" + configFile,
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        try {
            Awaitility.await("Prometheus ready").atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() ->
                    HTTP.send(HttpRequest.newBuilder(URI.create(base + "/-/ready")).build(), HttpResponse.BodyHandlers.discarding())
                            .statusCode() == 200);

            // A session that does what sessions do: streams, takes input, is refused an address, asks for ICE servers.
            String id = stack.createSession(stack.site.pageUrl());
            stack.awaitStatus(id, "ready", Duration.ofSeconds(30));
            try (ViewerClient viewer = new ViewerClient(stack.wsUrl(id))) {
                viewer.nextFrame(15_000);
                viewer.send("{\"type\":\"mousedown\",\"x\":100,\"y\":50,\"button\":\"left\"}");
                viewer.send("{\"type\":\"mouseup\",\"x\":100,\"y\":50,\"button\":\"left\"}");
                stack.site.awaitReport("click", 10_000);
                viewer.send("{\"type\":\"navigate\",\"url\":\"http://240.0.0.1/\"}");
                assertEquals(200, stack.request("GET", "/api/sessions/" + id + "/ice", null).status());
                Awaitility.await("both services scraped with the live session").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() ->
                                single(base, "browser_sessions_active{job=\"mbi-control-plane\"}") == 1
                                        && single(base, "browser_sessions_active{job=\"mbi-edge\"}") == 1
                                        && single(base, "sum(browser_egress_blocked_total{job=\"mbi-control-plane\"})") >= 1
                                        && single(base, "sum(browser_input_to_frame_seconds_count)") >= 1);
            }
            assertEquals(1, single(base, "up{job=\"mbi-edge\"}"));
            assertEquals(1, single(base, "up{job=\"mbi-control-plane\"}"));

            Set<String> names = new HashSet<>();
            api(base, "/api/v1/label/__name__/values").forEach(n -> names.add(n.asText()));
            List<String> expressions = new ArrayList<>();
            for (JsonNode panel : SessionJson.MAPPER.readTree(COMPOSE.resolve("grafana/dashboards/mbi.json").toFile()).get("panels")) {
                panel.get("targets").forEach(t -> expressions.add(t.get("expr").asText()));
            }
            for (JsonNode group : YAML.readTree(alerts.toFile()).get("groups")) {
                group.get("rules").forEach(r -> expressions.add(r.get("expr").asText()));
            }
            assertTrue(expressions.size() >= 25, expressions.toString());
            for (String expr : expressions) {
                query(base, expr); // evaluates without error
                Matcher m = METRIC.matcher(expr);
                while (m.find()) {
                    assertTrue(names.contains(m.group(1)), m.group(1) + " (in " + expr + ") is not scraped; scraped: " + names);
                }
            }
            // The rules are loaded and evaluated by this Prometheus too, each without error.
            JsonNode rules = Awaitility.await("the rules evaluated").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(500))
                    .until(() -> api(base, "/api/v1/rules").get("groups").get(0).get("rules"), r -> {
                        for (JsonNode rule : r) {
                            if (rule.get("lastEvaluation").asText().startsWith("0001-")) {
                                return false;
                            }
                        }
                        return true;
                    });
            assertEquals(5, rules.size());
            for (JsonNode rule : rules) {
                assertEquals("ok", rule.get("health").asText(), rule.toString());
            }
        } finally {
            prometheus.destroy();
            if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly();
            }
        }
    }
}
