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
