package dev.mbi.controlplane.core;

import dev.mbi.proto.v1.Frame;

/**
 * One client watching one session. Calls must not block: a slow viewer keeps only the newest
 * frame and loses the ones in between, never holding up the runner or other viewers.
 */
public interface Viewer {
    void frame(Frame frame);

    void status(SessionSnapshot session);

    /** An input event of this viewer was refused and dropped (it never reached the runner), and why. */
    default void inputRefused(String reason) {
    }

    /** The page copied text (the session's policy lets it reach viewers). */
    default void clipboard(String text) {
    }

    /** A download (or a print) started or changed. */
    default void download(dev.mbi.proto.v1.DownloadUpdate download) {
    }

    /** The page's file input asks for files. */
    default void fileChooser(dev.mbi.proto.v1.FileChooserOpened chooser) {
    }

    /** The session's policy refused something. */
    default void blocked(dev.mbi.proto.v1.ActionBlocked blocked) {
    }

    /** The session ended or the viewer was detached; no calls follow. */
    void end();
}
