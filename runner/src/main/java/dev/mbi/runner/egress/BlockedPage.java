package dev.mbi.runner.egress;

/**
 * The pages a user sees in the stream instead of what was refused: the proxy answers plain-HTTP
 * requests with them, and the runner puts them in the top frame when Chromium shows its own
 * error for a refused tunnel or a scheme that may not be opened.
 */
public final class BlockedPage {
    private BlockedPage() {
    }

    /**
     * @param host    what was asked for, as the user would recognise it
     * @param address the address it resolved to, or null
     * @param rule    the rule that refused it, e.g. "loopback"
     * @param detail  more about why, or null
     */
    public static String blocked(String host, String address, String rule, String detail) {
        String shown = printable(host);
        return page("Blocked: " + shown, "The remote browser may not open <b>" + html(shown) + "</b>"
                + (address == null ? "" : html(" (" + address + ")"))
                + ": blocked by the rule <b>" + html(rule) + "</b>"
                + (detail == null ? "" : " (" + html(detail) + ")") + ".");
    }

    /** A page with a heading and one paragraph of HTML (the caller escapes what it puts in). */
    static String page(String title, String htmlMessage) {
        return "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + html(title) + "</title>"
                + "<style>body{font:16px/1.5 system-ui,sans-serif;margin:3em auto;max-width:40em;padding:0 1em;color:#222}"
                + "h1{font-size:1.4em}</style></head><body><h1>" + html(title) + "</h1><p>" + htmlMessage
                + "</p></body></html>\n";
    }

    /** A host for reports: at most 255 characters, nothing unprintable. */
    public static String printable(String host) {
        StringBuilder b = new StringBuilder(Math.min(host.length(), 255));
        for (int i = 0; i < host.length() && i < 255; i++) {
            char c = host.charAt(i);
            b.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return b.toString();
    }

    static String html(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c < 0x20 ? '?' : c);
            }
        }
        return b.toString();
    }
}
