package dev.mbi.controlplane.launch.kubernetes;

import dev.mbi.controlplane.fleet.RunnerHost;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A cluster's nodes as runner hosts, so that a warm pool keeps runners waiting on each node: a
 * node's places are what its allocatable CPU and memory hold of runner pods' requests, a cordoned
 * node is drained, and one that is not Ready is unhealthy. A node whose taints runner pods do not
 * tolerate (a control-plane node, a dedicated pool) is no runner host at all.
 */
final class RunnerNodes {
    /** The taint that `kubectl cordon` adds; the node is then drained, not excluded. */
    static final String CORDONED = "node.kubernetes.io/unschedulable";
    /** Taints the node controller adds while a node is unhealthy; its Ready condition says why. */
    private static final List<String> UNHEALTHY = List.of("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable");

    private RunnerNodes() {
    }

    /**
     * This node as a runner host with {@code runnersThere} runner pods on it, or empty when runner
     * pods cannot be scheduled there whatever its state.
     */
    static Optional<RunnerHost> host(Node node, int runnersThere, double runnerCpus, long runnerMemoryBytes) {
        if (repelsRunners(node)) {
            return Optional.empty();
        }
        String name = node.getMetadata().getName();
        boolean drained = node.getSpec() != null && Boolean.TRUE.equals(node.getSpec().getUnschedulable());
        String problem = whyUnhealthy(node);
        return Optional.of(new RunnerHost(name, address(node), places(node, runnerCpus, runnerMemoryBytes), runnersThere,
                problem.isEmpty(), drained, problem));
    }

    /** How many runner pods fit its allocatable CPU and memory (requests equal limits). */
    static int places(Node node, double runnerCpus, long runnerMemoryBytes) {
        Map<String, Quantity> allocatable = node.getStatus() == null ? null : node.getStatus().getAllocatable();
        if (allocatable == null || !allocatable.containsKey("cpu") || !allocatable.containsKey("memory")) {
            return 0;
        }
        BigDecimal byCpu = allocatable.get("cpu").getNumericalAmount().divide(BigDecimal.valueOf(runnerCpus), 0, RoundingMode.FLOOR);
        BigDecimal byMemory = allocatable.get("memory").getNumericalAmount()
                .divide(BigDecimal.valueOf(runnerMemoryBytes), 0, RoundingMode.FLOOR);
        return byCpu.min(byMemory).min(BigDecimal.valueOf(Integer.MAX_VALUE)).max(BigDecimal.ZERO).intValue();
    }

    private static boolean repelsRunners(Node node) {
        List<Taint> taints = node.getSpec() == null ? null : node.getSpec().getTaints();
        if (taints == null) {
            return false;
        }
        return taints.stream().anyMatch(t -> ("NoSchedule".equals(t.getEffect()) || "NoExecute".equals(t.getEffect()))
                && !CORDONED.equals(t.getKey()) && !UNHEALTHY.contains(t.getKey()));
    }

    /** Empty when its Ready condition is True; else what the condition says. */
    private static String whyUnhealthy(Node node) {
        List<NodeCondition> conditions = node.getStatus() == null ? null : node.getStatus().getConditions();
        NodeCondition ready = conditions == null ? null
                : conditions.stream().filter(c -> "Ready".equals(c.getType())).findFirst().orElse(null);
        if (ready == null) {
            return "the node reports no Ready condition";
        }
        if ("True".equals(ready.getStatus())) {
            return "";
        }
        String why = ready.getMessage() != null && !ready.getMessage().isBlank() ? ready.getMessage()
                : ready.getReason() != null ? ready.getReason() : "status " + ready.getStatus();
        return "not Ready: " + why;
    }

    /** Its internal address, for operators; empty when it reports none. */
    private static String address(Node node) {
        List<NodeAddress> addresses = node.getStatus() == null ? null : node.getStatus().getAddresses();
        if (addresses == null) {
            return "";
        }
        return addresses.stream().filter(a -> "InternalIP".equals(a.getType())).map(NodeAddress::getAddress).findFirst()
                .orElse("");
    }
}
