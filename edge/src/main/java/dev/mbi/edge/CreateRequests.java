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

    /**
     * The optional "policy" of a create: each field narrows the operator's policy (the control
     * plane refuses any that would widen it).
     */
    static dev.mbi.proto.v1.SessionPolicy policy(String body) throws ApiException {
        JsonNode p = parse(body).get("policy");
        dev.mbi.proto.v1.SessionPolicy.Builder b = dev.mbi.proto.v1.SessionPolicy.newBuilder();
        if (p == null || p.isNull()) {
            return b.build();
        }
        if (!p.isObject()) {
            throw ApiException.badRequest("policy must be an object like {\"downloads\":\"deny\"}");
        }
        java.util.Set<String> known = java.util.Set.of("clipboard", "downloads", "uploads", "printing", "keyboard", "audio",
                "maxTransferBytes");
        for (java.util.Iterator<String> names = p.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                throw ApiException.badRequest("policy." + name + " is not a policy setting: use " + String.join(", ", known.stream().sorted().toList()));
            }
        }
        String clipboard = text(p, "clipboard");
        b.setClipboard(switch (clipboard) {
            case "" -> dev.mbi.proto.v1.ClipboardPolicy.CLIPBOARD_POLICY_UNSPECIFIED;
            case "both" -> dev.mbi.proto.v1.ClipboardPolicy.CLIPBOARD_POLICY_BOTH;
            case "to-local" -> dev.mbi.proto.v1.ClipboardPolicy.CLIPBOARD_POLICY_TO_LOCAL;
            case "to-remote" -> dev.mbi.proto.v1.ClipboardPolicy.CLIPBOARD_POLICY_TO_REMOTE;
            case "none" -> dev.mbi.proto.v1.ClipboardPolicy.CLIPBOARD_POLICY_NONE;
            default -> throw ApiException.badRequest("policy.clipboard must be both, to-local, to-remote or none");
        });
        b.setDownloads(permission(p, "downloads")).setUploads(permission(p, "uploads")).setPrinting(permission(p, "printing"))
                .setKeyboard(permission(p, "keyboard")).setAudio(permission(p, "audio"));
        JsonNode max = p.get("maxTransferBytes");
        if (max != null && !max.isNull()) {
            if (!max.isIntegralNumber() || max.asLong() < 1) {
                throw ApiException.badRequest("policy.maxTransferBytes must be a whole number of bytes above 0");
            }
            b.setMaxTransferBytes(max.asLong());
        }
        return b.build();
    }

    private static dev.mbi.proto.v1.Permission permission(JsonNode p, String field) throws ApiException {
        return switch (text(p, field)) {
            case "" -> dev.mbi.proto.v1.Permission.PERMISSION_UNSPECIFIED;
            case "allow" -> dev.mbi.proto.v1.Permission.PERMISSION_ALLOW;
            case "deny" -> dev.mbi.proto.v1.Permission.PERMISSION_DENY;
            default -> throw ApiException.badRequest("policy." + field + " must be allow or deny");
        };
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
