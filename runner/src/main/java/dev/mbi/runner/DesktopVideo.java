package dev.mbi.runner;

import dev.onvoid.webrtc.media.video.VideoDesktopSource;
import dev.onvoid.webrtc.media.video.VideoTrackSource;

/**
 * The display path: libwebrtc captures the X display that headful Chromium draws on (Xvfb), at
 * a steady rate, with no JPEG round trip. Needs DISPLAY; the X cursor is drawn into the picture.
 */
final class DesktopVideo implements ViewportVideo {
    static final int FPS = 30;

    private final VideoDesktopSource source = new VideoDesktopSource();
    private boolean running;

    DesktopVideo(int width, int height) {
        // Source id -1 is the whole screen; id 0 yields no frames, and enumerating sources crashes.
        source.setSourceId(-1, false);
        source.setFrameRate(FPS);
        source.setMaxFrameSize(width, height);
    }

    @Override
    public VideoTrackSource source() {
        return source;
    }

    @Override
    public void onFrame(BrowserSession.CapturedFrame frame) {
        // captures by itself
    }

    @Override
    public synchronized void setActive(boolean active) {
        if (active && !running) {
            source.start();
        } else if (!active && running) {
            source.stop();
        }
        running = active;
    }

    @Override
    public void viewerJoined() {
        // a steady frame rate gives every new viewer a picture at once
    }

    @Override
    public long framesSkipped() {
        return 0;
    }

    @Override
    public synchronized void close() {
        if (running) {
            source.stop();
            running = false;
        }
    }
}
