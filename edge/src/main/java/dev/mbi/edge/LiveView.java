package dev.mbi.edge;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The UI's page, served again at /api/sessions/{id}/live: the UI sees that address and shows the
 * session's view alone (read-only with ?mode=view). Read on each request, so a rebuilt UI shows.
 */
final class LiveView {
    private final Optional<Path> uiDir;

    LiveView(Optional<Path> uiDir) {
        this.uiDir = uiDir;
    }

    byte[] page() throws ApiException {
        try {
            if (uiDir.isPresent()) {
                return Files.readAllBytes(uiDir.get().resolve("index.html"));
            }
            try (InputStream in = LiveView.class.getClassLoader().getResourceAsStream("static/index.html")) {
                if (in == null) {
                    throw new ApiException(404, "the UI is not built: run make build");
                }
                return in.readAllBytes();
            }
        } catch (IOException e) {
            throw new ApiException(404, "the UI's index.html cannot be read: " + e.getMessage());
        }
    }
}
