package dev.mbi.redact;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Credentials inside URLs ({@code http://user:password@host/}) are for opening the page, not
 * for showing: every log line and every answer to another caller uses these. Only the userinfo
 * is removed; secrets in a query string ({@code ?token=...}) are not recognised and stay.
 */
public final class Urls {
    /**
     * A scheme and "//", then an authority holding '@': the userinfo runs to the authority's last
     * '@' (as browsers read it), and the authority ends at '/', '\', '?', '#', whitespace, a quote or
     * an angle bracket. A scheme is only tried where one can start (not inside a run of scheme
     * characters), so the time taken stays linear in the text's length whatever a page puts in its URL.
     */
    private static final Pattern USERINFO =
            Pattern.compile("(?i)(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*://)[^/\\\\?#\\s\"'<>]*@");

    private Urls() {
    }

    /**
     * The URL without its userinfo, every other character as given: {@code http://u:p@host:8080/a?b}
     * becomes {@code http://host:8080/a?b}. A URL without userinfo, or that is not a URL, comes back
     * unchanged, except that anything in it looking like {@code scheme://userinfo@} loses the userinfo.
     * Null stays null.
     */
    public static String withoutUserInfo(String url) {
        if (url == null || url.indexOf('@') < 0) {
            return url;
        }
        try {
            URI uri = new URI(url);
            String authority = uri.getRawAuthority();
            if (uri.isOpaque() || authority == null) {
                // mailto:someone@host and the like name no credentials; anything else is handled as text.
                return uri.isOpaque() ? url : withoutUserInfoIn(url);
            }
            int at = authority.lastIndexOf('@');
            if (at < 0) {
                return url;
            }
            StringBuilder out = new StringBuilder();
            if (uri.getScheme() != null) {
                out.append(uri.getScheme()).append(':');
            }
            out.append("//").append(authority, at + 1, authority.length());
            if (uri.getRawPath() != null) {
                out.append(uri.getRawPath());
            }
            if (uri.getRawQuery() != null) {
                out.append('?').append(uri.getRawQuery());
            }
            if (uri.getRawFragment() != null) {
                out.append('#').append(uri.getRawFragment());
            }
            return out.toString();
        } catch (URISyntaxException e) {
            // Not a URI java.net.URI accepts (a space, a backslash, a '|'...), maybe still one for a browser.
            return withoutUserInfoLeniently(url);
        }
    }

    /**
     * The authority as a browser finds it in a URL java.net.URI refuses: after "scheme://" (or
     * "//"; backslashes count as slashes, leading blanks are skipped) up to the first '/', '\',
     * '?' or '#'; its userinfo runs to its last '@'. Anything else is handled as a text.
     */
    private static String withoutUserInfoLeniently(String url) {
        int n = url.length();
        int start = 0;
        while (start < n && url.charAt(start) <= ' ') {
            start++;
        }
        int slashes = start;
        if (start < n && isAsciiLetter(url.charAt(start))) {
            int i = start + 1;
            while (i < n && (isAsciiLetter(url.charAt(i)) || Character.isDigit(url.charAt(i)) || "+.-".indexOf(url.charAt(i)) >= 0)) {
                i++;
            }
            if (i < n && url.charAt(i) == ':') {
                slashes = i + 1;
            }
        }
        if (slashes + 1 >= n || !isSlash(url.charAt(slashes)) || !isSlash(url.charAt(slashes + 1))) {
            return withoutUserInfoIn(url);
        }
        int authorityStart = slashes + 2;
        int authorityEnd = authorityStart;
        while (authorityEnd < n && "/\\?#".indexOf(url.charAt(authorityEnd)) < 0) {
            authorityEnd++;
        }
        int at = url.lastIndexOf('@', authorityEnd - 1);
        if (at < authorityStart) {
            return withoutUserInfoIn(url);
        }
        return url.substring(0, authorityStart) + url.substring(at + 1);
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isSlash(char c) {
        return c == '/' || c == '\\';
    }

    /**
     * A free text (an error message, a log line) with the userinfo removed from every URL in it:
     * "net::ERR_FAILED at https://u:p@host/" becomes "net::ERR_FAILED at https://host/". Null stays null.
     */
    public static String withoutUserInfoIn(String text) {
        if (text == null || text.indexOf('@') < 0) {
            return text;
        }
        Matcher m = USERINFO.matcher(text);
        return m.find() ? m.replaceAll("$1") : text;
    }
}
