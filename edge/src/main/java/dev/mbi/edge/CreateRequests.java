package dev.mbi.edge;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mbi.proto.v1.ControlHolder;
import dev.mbi.proto.v1.CreateSessionRequest;

/**
 * The parts of request bodies that say how a session's page presents itself and who drives it;
 * the control plane checks the values themselves (ranges, time zones, language tags).
 */
final class CreateRequests {
    private CreateRequests() {
    }

    private static JsonNode parse(String body) throws ApiException {
        try {
            JsonNode n = SessionJson.MAPPER.readTree(body == null ? "" : body);
            if (n != null && n.isObject()) {
                return n;
            }
        } catch (JsonProcessingException e) {
            // answered below
        }
        throw ApiException.badRequest("request body must be a JSON object");
    }

    /**
     * "viewport": {"width", "height"}, "userAgent", "locale", "timezone" of a create, each optional.
     */
    static CreateSessionRequest.Builder pageOptions(String body) throws ApiException {
        JsonNode n = parse(body);
        CreateSessionRequest.Builder b = CreateSessionRequest.newBuilder();
        JsonNode viewport = n.get("viewport");
        if (viewport != null && !viewport.isNull()) {
            if (!viewport.isObject() || !viewport.path("width").canConvertToInt() || !viewport.path("height").canConvertToInt()
                    || !viewport.path("width").isIntegralNumber() || !viewport.path("height").isIntegralNumber()
                    || viewport.path("width").asInt() <= 0 || viewport.path("height").asInt() <= 0) {
                throw ApiException.badRequest("viewport must be like {\"width\":1280,\"height\":720}");
            }
            b.setViewportWidth(viewport.get("width").asInt()).setViewportHeight(viewport.get("height").asInt());
        }
        b.setUserAgent(text(n, "userAgent")).setLocale(text(n, "locale")).setTimezone(text(n, "timezone"));
        return b;
    }

    private static String text(JsonNode n, String field) throws ApiException {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return "";
        }
        if (!v.isTextual()) {
            throw ApiException.badRequest(field + " must be a string");
        }
        return v.asText();
    }

    /** {"holder": "agent" | "human" | "shared"} */
    static ControlHolder holderFrom(String body) throws ApiException {
        String holder = text(parse(body), "holder");
        return switch (holder) {
            case "agent" -> ControlHolder.CONTROL_HOLDER_AGENT;
            case "human" -> ControlHolder.CONTROL_HOLDER_HUMAN;
            case "shared" -> ControlHolder.CONTROL_HOLDER_SHARED;
            default -> throw ApiException.badRequest("holder must be \"agent\", \"human\" or \"shared\"");
        };
    }

    /** As the API spells a holder. */
    static String holderName(ControlHolder holder) {
        return switch (holder) {
            case CONTROL_HOLDER_AGENT -> "agent";
            case CONTROL_HOLDER_HUMAN -> "human";
            default -> "shared";
        };
    }
}
