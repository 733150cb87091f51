package dev.mbi.controlplane.core;

import java.net.URI;
import java.net.URISyntaxException;

/** The address a session starts at: only absolute http and https URLs with a host, refused before a runner starts. */
final class StartUrl {
    private StartUrl() {
    }

    static String check(String url) throws SessionException {
        if (url == null || url.isBlank()) {
            throw new SessionException(SessionException.Reason.INVALID, "url is required");
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
