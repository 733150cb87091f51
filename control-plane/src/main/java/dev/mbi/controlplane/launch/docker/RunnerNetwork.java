package dev.mbi.controlplane.launch.docker;

import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Network;
import dev.mbi.contract.RunnerContract;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The dedicated bridge network runner containers join on one engine: created when missing, with
 * inter-container traffic off (runners cannot reach each other) and the configured subnet.
 *
 * @param bridge the host's interface for the network, which the firewall's rules name
 */
record RunnerNetwork(String name, String id, String bridge, List<String> subnets, boolean ipv6) {
    private static final Logger LOG = Logger.getLogger(RunnerNetwork.class.getName());
    static final String ICC = "com.docker.network.bridge.enable_icc";
    static final String BRIDGE_NAME = "com.docker.network.bridge.name";
    /** Label of the networks the launcher creates. */
    static final String ROLE_NETWORK = "runner-network";

    /**
     * Finds the network, or creates it.
     *
     * @throws IllegalStateException saying what to do when the network cannot serve runners
     */
    static RunnerNetwork ensure(DockerEngine engine, String name, Optional<String> subnet, String controlPlaneId) {
        Network network;
        try {
            network = engine.calls.inspectNetworkCmd().withNetworkId(name).exec();
        } catch (NotFoundException e) {
            network = create(engine, name, subnet, controlPlaneId);
        }
        if (!"bridge".equals(network.getDriver())) {
            throw new IllegalStateException("network " + name + " uses the driver " + network.getDriver()
                    + ": runners need a bridge network; remove it, or set RUNNER_NETWORK to another name and it is created");
        }
        List<String> subnets = network.getIpam() == null || network.getIpam().getConfig() == null ? List.of()
                : network.getIpam().getConfig().stream().map(Network.Ipam.Config::getSubnet).filter(s -> s != null).toList();
        if (subnet.isPresent() && !subnets.contains(subnet.get())) {
            throw new IllegalStateException("network " + name + " has the subnet " + subnets + ", not " + subnet.get()
                    + " (RUNNER_SUBNET): remove the network (docker network rm " + name + ") or change RUNNER_SUBNET");
        }
        Map<String, String> options = network.getOptions() == null ? Map.of() : network.getOptions();
        if (!"false".equals(options.get(ICC))) {
            LOG.warning("network " + name + " on " + engine.name() + " lets containers reach each other (" + ICC
                    + " is not false): recreate it, or let the launcher create it, so that runners are kept apart");
        }
        String bridge = options.getOrDefault(BRIDGE_NAME, "br-" + network.getId().substring(0, 12));
        return new RunnerNetwork(name, network.getId(), bridge, subnets, Boolean.TRUE.equals(network.getEnableIPv6()));
    }

    private static Network create(DockerEngine engine, String name, Optional<String> subnet, String controlPlaneId) {
        var create = engine.calls.createNetworkCmd()
                .withName(name)
                .withDriver("bridge")
                .withCheckDuplicate(true)
                .withOptions(Map.of(ICC, "false"))
                .withLabels(Map.of(RunnerContract.LABEL_ROLE, ROLE_NETWORK, RunnerContract.LABEL_CONTROL_PLANE, controlPlaneId));
        subnet.ifPresent(s -> create.withIpam(new Network.Ipam().withConfig(new Network.Ipam.Config().withSubnet(s))));
        try {
            create.exec();
            LOG.info("created the runner network " + name + subnet.map(s -> " (" + s + ")").orElse("") + " on " + engine.name());
        } catch (ConflictException e) {
            // made meanwhile by another control plane: use it
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot create the runner network " + name + subnet.map(s -> " with subnet " + s).orElse("")
                    + ": " + DockerLauncher.describe(e) + " (pick a free range with RUNNER_SUBNET, or create the network yourself)", e);
        }
        return engine.calls.inspectNetworkCmd().withNetworkId(name).exec();
    }
}
