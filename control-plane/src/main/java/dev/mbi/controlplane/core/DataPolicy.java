package dev.mbi.controlplane.core;

import dev.mbi.proto.v1.ClipboardPolicy;
import dev.mbi.proto.v1.Permission;
import dev.mbi.proto.v1.SessionPolicy;

/**
 * What may cross a session's isolation boundary: the clipboard in each direction, files both
 * ways, printing, the keyboard, sound, and how large one transfer may be. The operator sets the
 * defaults (POLICY_*); a session may only narrow them.
 */
public record DataPolicy(Clipboard clipboard, boolean downloads, boolean uploads, boolean printing, boolean keyboard,
                         boolean audio, long maxTransferBytes) {

    public enum Clipboard {
        BOTH, TO_LOCAL, TO_REMOTE, NONE;

        /** As the API spells it: "both", "to-local", "to-remote", "none". */
        public String value() {
            return name().toLowerCase().replace('_', '-');
        }

        public static Clipboard parse(String value) {
            return switch (value) {
                case "both" -> BOTH;
                case "to-local" -> TO_LOCAL;
                case "to-remote" -> TO_REMOTE;
                case "none" -> NONE;
                default -> throw new IllegalArgumentException("clipboard must be both, to-local, to-remote or none");
            };
        }

        boolean toLocal() {
            return this == BOTH || this == TO_LOCAL;
        }

        boolean toRemote() {
            return this == BOTH || this == TO_REMOTE;
        }

        /** Allows nothing this one does not. */
        boolean within(Clipboard wider) {
            return (!toLocal() || wider.toLocal()) && (!toRemote() || wider.toRemote());
        }
    }

    public static final long DEFAULT_MAX_TRANSFER_BYTES = 100L * 1024 * 1024;
    public static final DataPolicy OPEN = new DataPolicy(Clipboard.BOTH, true, true, true, true, true, DEFAULT_MAX_TRANSFER_BYTES);

    /**
     * This policy narrowed by a request; a field that asks for more than this policy allows is
     * refused, naming the field.
     */
    public DataPolicy narrowedBy(SessionPolicy request) throws SessionException {
        Clipboard asked = switch (request.getClipboard()) {
            case CLIPBOARD_POLICY_BOTH -> Clipboard.BOTH;
            case CLIPBOARD_POLICY_TO_LOCAL -> Clipboard.TO_LOCAL;
            case CLIPBOARD_POLICY_TO_REMOTE -> Clipboard.TO_REMOTE;
            case CLIPBOARD_POLICY_NONE -> Clipboard.NONE;
            default -> clipboard;
        };
        if (!asked.within(clipboard)) {
            throw widening("clipboard", asked.value(), clipboard.value());
        }
        long max = request.getMaxTransferBytes() == 0 ? maxTransferBytes : request.getMaxTransferBytes();
        if (max > maxTransferBytes) {
            throw widening("maxTransferBytes", Long.toString(max), Long.toString(maxTransferBytes));
        }
        return new DataPolicy(asked,
                narrow("downloads", downloads, request.getDownloads()),
                narrow("uploads", uploads, request.getUploads()),
                narrow("printing", printing, request.getPrinting()),
                narrow("keyboard", keyboard, request.getKeyboard()),
                narrow("audio", audio, request.getAudio()),
                max);
    }

    private static boolean narrow(String field, boolean allowed, Permission asked) throws SessionException {
        return switch (asked) {
            case PERMISSION_DENY -> false;
            case PERMISSION_ALLOW -> {
                if (!allowed) {
                    throw widening(field, "allow", "deny");
                }
                yield true;
            }
            default -> allowed;
        };
    }

    private static SessionException widening(String field, String asked, String allowed) {
        return new SessionException(SessionException.Reason.INVALID, "policy." + field + " = " + asked
                + " would widen the operator's policy (" + allowed + "): a session may only narrow it");
    }

    /** What both policies allow: a session's own policy under the operator's defaults of the day. */
    public DataPolicy intersect(DataPolicy other) {
        boolean toLocal = clipboard.toLocal() && other.clipboard.toLocal();
        boolean toRemote = clipboard.toRemote() && other.clipboard.toRemote();
        Clipboard both = toLocal ? (toRemote ? Clipboard.BOTH : Clipboard.TO_LOCAL) : (toRemote ? Clipboard.TO_REMOTE : Clipboard.NONE);
        return new DataPolicy(both, downloads && other.downloads, uploads && other.uploads, printing && other.printing,
                keyboard && other.keyboard, audio && other.audio, Math.min(maxTransferBytes, other.maxTransferBytes));
    }

    /** As a resume token carries it (the API's spelling). */
    java.util.Map<String, Object> toClaim() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("clipboard", clipboard.value());
        m.put("downloads", downloads);
        m.put("uploads", uploads);
        m.put("printing", printing);
        m.put("keyboard", keyboard);
        m.put("audio", audio);
        m.put("maxTransferBytes", maxTransferBytes);
        return m;
    }

    /** From a resume token's claim; empty when it is missing or not one (a token from before policies). */
    static java.util.Optional<DataPolicy> fromClaim(Object claim) {
        if (!(claim instanceof java.util.Map<?, ?> m)) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(new DataPolicy(Clipboard.parse(String.valueOf(m.get("clipboard"))),
                    (Boolean) m.get("downloads"), (Boolean) m.get("uploads"), (Boolean) m.get("printing"),
                    (Boolean) m.get("keyboard"), (Boolean) m.get("audio"), ((Number) m.get("maxTransferBytes")).longValue()));
        } catch (RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    public SessionPolicy toProto() {
        return SessionPolicy.newBuilder()
                .setClipboard(switch (clipboard) {
                    case BOTH -> ClipboardPolicy.CLIPBOARD_POLICY_BOTH;
                    case TO_LOCAL -> ClipboardPolicy.CLIPBOARD_POLICY_TO_LOCAL;
                    case TO_REMOTE -> ClipboardPolicy.CLIPBOARD_POLICY_TO_REMOTE;
                    case NONE -> ClipboardPolicy.CLIPBOARD_POLICY_NONE;
                })
                .setDownloads(permission(downloads))
                .setUploads(permission(uploads))
                .setPrinting(permission(printing))
                .setKeyboard(permission(keyboard))
                .setAudio(permission(audio))
                .setMaxTransferBytes(maxTransferBytes)
                .build();
    }

    private static Permission permission(boolean allowed) {
        return allowed ? Permission.PERMISSION_ALLOW : Permission.PERMISSION_DENY;
    }
}
