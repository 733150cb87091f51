package dev.mbi.edge;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mbi.proto.v1.RunnerHost;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;

/** The runner fleet for operators (administrators only): list the hosts, drain or undrain one. */
final class AdminRoutes implements HttpService {
    private final ControlPlaneClient controlPlane;
    private final EdgeMetrics metrics;
    private final Access access;

    AdminRoutes(ControlPlaneClient controlPlane, EdgeMetrics metrics, Access access) {
        this.controlPlane = controlPlane;
        this.metrics = metrics;
        this.access = access;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/api/admin/hosts", SessionRoutes.timed(metrics, "GET", "/api/admin/hosts", (req, res) -> {
                    access.admin(req);
                    ObjectNode body = SessionJson.MAPPER.createObjectNode();
                    ArrayNode hosts = body.putArray("hosts");
                    for (RunnerHost h : controlPlane.hosts()) {
                        hosts.add(json(h));
                    }
                    SessionRoutes.json(res, 200, body.toString());
                }))
                .post("/api/admin/hosts/{name}/drain", SessionRoutes.timed(metrics, "POST", "/api/admin/hosts/{name}/drain",
                        (req, res) -> {
                            access.admin(req);
                            SessionRoutes.json(res, 200,
                                    json(controlPlane.drainHost(req.path().pathParameters().get("name"), false)).toString());
                        }))
                .post("/api/admin/hosts/{name}/undrain", SessionRoutes.timed(metrics, "POST", "/api/admin/hosts/{name}/undrain",
                        (req, res) -> {
                            access.admin(req);
                            SessionRoutes.json(res, 200,
                                    json(controlPlane.drainHost(req.path().pathParameters().get("name"), true)).toString());
                        }));
    }

    static ObjectNode json(RunnerHost h) {
        ObjectNode n = SessionJson.MAPPER.createObjectNode();
        n.put("name", h.getName());
        n.put("endpoint", h.getEndpoint());
        n.put("healthy", h.getHealthy());
        n.put("drained", h.getDrained());
        n.put("capacity", h.getCapacity());
        n.put("sessions", h.getSessions());
        n.put("problem", h.getProblem());
        return n;
    }
}
