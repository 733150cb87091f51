package dev.mbi.runner;

import dev.onvoid.webrtc.media.video.VideoTrackSource;
import java.util.function.Consumer;

/**
 * Where the WebRTC video of the viewport comes from. Two paths: the CDP screencast's JPEG
 * frames re-encoded (works headless; frames only when the page changes), or a capture of the X
 * display Chromium draws on (lower latency and CPU; a steady frame rate).
 */
interface ViewportVideo extends AutoCloseable {

    VideoTrackSource source();

    /** A captured screencast frame; sources that capture by themselves ignore it. */
    void onFrame(BrowserSession.CapturedFrame frame);

    /** Capture and encode only while a viewer is connected. */
    void setActive(boolean active);

    /** A viewer just joined: make sure it gets a picture even if the page does not change. */
    void viewerJoined();

    /**
     * Tells {@code listener} of each frame pushed to the encoder, right after the push. Only a
     * source the runner pushes frames into has them; the display capture pushes none.
     */
    default void reportPushes(Consumer<VideoTimings.Frame> listener) {
    }

    /** Frames skipped before encoding (rate cap). */
    long framesSkipped();

    @Override
    void close();
}
