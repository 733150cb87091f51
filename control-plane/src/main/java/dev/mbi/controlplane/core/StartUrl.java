package dev.mbi.controlplane.core;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * Every address a runner is told to open: the one a session starts at, and each one a viewer
 * navigates to. Only absolute http and https URLs with a host, at most {@value Limits#MAX_URL_BYTES}
 * bytes, refused before they reach a runner.
 */
final class StartUrl {
    static final String BLANK = "about:blank";

    private StartUrl() {
    }

    /** A session's first page: as {@link #check}, or exactly about:blank (a session an agent fills). */
    static String checkStart(String url) throws SessionException {
        if (url != null && url.trim().equals(BLANK)) {
            return BLANK;
        }
        return check(url);
    }

    static String check(String url) throws SessionException {
        if (url == null || url.isBlank()) {
            throw new SessionException(SessionException.Reason.INVALID, "url is required");
        }
        int bytes = Limits.utf8Length(url.trim());
        if (bytes > Limits.MAX_URL_BYTES) {
            throw new SessionException(SessionException.Reason.INVALID, "url is too long (" + bytes + " bytes; at most "
                    + Limits.MAX_URL_BYTES + ")");
        }
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw new SessionException(SessionException.Reason.INVALID, "url is not a valid URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new SessionException(SessionException.Reason.INVALID, "url must start with http:// or https://");
        }
        if (uri.getHost() == null || uri.getHost().isBlank()) {
            throw new SessionException(SessionException.Reason.INVALID, "url must name a host");
        }
        return uri.toString();
    }
}
