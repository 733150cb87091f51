package dev.mbi.runner;

import java.util.Optional;

/**
 * What the top frame may show. The browser session asks about every page the top frame commits,
 * and about every top-level load that failed, and shows the returned page instead when there is one.
 */
interface TopFrameGuard {
    TopFrameGuard NONE = (url, failed) -> Optional.empty();

    /**
     * @param url    the page the top frame committed, or, when {@code failed}, the one it could not load
     * @param failed whether Chromium showed its own error page instead of {@code url}
     * @return the page to show instead, or empty to leave the frame as it is
     */
    Optional<String> replacement(String url, boolean failed);
}
