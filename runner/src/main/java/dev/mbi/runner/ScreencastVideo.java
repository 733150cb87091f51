package dev.mbi.runner;

import dev.onvoid.webrtc.media.FourCC;
import dev.onvoid.webrtc.media.SyncClock;
import dev.onvoid.webrtc.media.video.CustomVideoSource;
import dev.onvoid.webrtc.media.video.NativeI420Buffer;
import dev.onvoid.webrtc.media.video.VideoBufferConverter;
import dev.onvoid.webrtc.media.video.VideoFrame;
import dev.onvoid.webrtc.media.video.VideoTrackSource;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.imageio.ImageIO;

/**
 * The screencast path: captured viewport JPEGs, decoded into the WebRTC video source, which
 * libwebrtc encodes as VP8 for every connected viewer. Frames arrive only when the page changes;
 * a frame is pushed again only when a viewer joins and needs a first picture.
 */
final class ScreencastVideo implements ViewportVideo {
    private static final Logger LOG = Logger.getLogger(ScreencastVideo.class.getName());
    static final int MAX_FPS = 30;

    private final CustomVideoSource source;
    /**
     * Reads libwebrtc's real-time clock, which the source stamps each pushed frame with (in NTP
     * milliseconds, the base of the frame's RTP timestamp): read just before a push, it tells a
     * viewer which RTP timestamp the frame gets.
     */
    private final SyncClock rtpClock;
    private final Optional<JpegPlanes> jpegPlanes = JpegPlanes.open();
    private volatile Consumer<VideoTimings.Frame> pushes = frame -> { };
    private final FrameThrottle<BrowserSession.CapturedFrame> throttle;

    /**
     * After a viewer joins, the newest frame is pushed again every 100 ms for 2 s: libwebrtc drops
     * the first frames of a stream while its bandwidth estimate ramps up, and a static page
     * produces no new ones.
     */
    private static final long REPEAT_EVERY_MS = 100;
    private static final int REPEATS_AFTER_JOIN = 20;

    private final ScheduledExecutorService timer;
    /**
     * While viewers watch, the newest frame goes again whenever the page has been still this long:
     * a receiver whose stream stops for seconds loses its timing, and then holds the next frame
     * (the one that shows a click) in its jitter buffer for up to half a second.
     */
    static final long KEEPALIVE_MS = 100;
    private final ScheduledFuture<?> keepalive;
    /** Repeats still to come; cancelled on close. */
    private final List<ScheduledFuture<?>> repeats = new ArrayList<>();
    private boolean closed;

    ScreencastVideo(RunnerExecutors executors) {
        this.source = new CustomVideoSource();
        this.rtpClock = new SyncClock();
        this.timer = executors.timer();
        this.throttle = new FrameThrottle<>(MAX_FPS, this::push, executors.tasks());
        this.keepalive = timer.scheduleAtFixedRate(this::keepAlive, KEEPALIVE_MS, KEEPALIVE_MS, TimeUnit.MILLISECONDS);
    }

    /** Guards the source's pushes and the picture kept for repeats. */
    private final Object pushLock = new Object();
    /** The newest picture as pushed (one reference held here), repeated by {@link #keepAlive} without decoding it again. */
    private NativeI420Buffer lastPicture;
    /** When Chromium captured the newest picture (epoch µs); its repeats keep it. */
    private long lastCapturedUs;
    private long lastPushNanos = System.nanoTime();
    private volatile boolean active;

    private void keepAlive() {
        if (!active) {
            return;
        }
        VideoTimings.Frame pushed;
        synchronized (pushLock) {
            if (lastPicture == null || closed() || System.nanoTime() - lastPushNanos < TimeUnit.MILLISECONDS.toNanos(KEEPALIVE_MS)) {
                return;
            }
            lastPicture.retain();
            pushed = pushNow(lastPicture, lastCapturedUs);
        }
        tell(pushed);
    }

    /** Tells the listener of a push; a failure there must not stop the pushes (nor the keepalive's schedule). */
    private void tell(VideoTimings.Frame pushed) {
        try {
            pushes.accept(pushed);
        } catch (RuntimeException e) {
            LOG.log(Level.FINE, "telling of a pushed frame failed", e);
        }
    }

    private synchronized boolean closed() {
        return closed;
    }

    /** Pushes a picture (taking over one reference to it) and says when. Under pushLock. */
    private VideoTimings.Frame pushNow(NativeI420Buffer picture, long capturedUs) {
        lastPushNanos = System.nanoTime();
        long pushedAtMs = System.currentTimeMillis();
        long ntpMs = rtpClock.getNtpTime();
        // The source replaces this timestamp with its own clock's, and stamps the NTP time read above.
        VideoFrame videoFrame = new VideoFrame(picture, lastPushNanos);
        source.pushFrame(videoFrame);
        videoFrame.release();
        return new VideoTimings.Frame(ntpMs, capturedUs / 1000, pushedAtMs);
    }

    @Override
    public void reportPushes(Consumer<VideoTimings.Frame> listener) {
        this.pushes = listener;
    }

    @Override
    public VideoTrackSource source() {
        return source;
    }

    @Override
    public void onFrame(BrowserSession.CapturedFrame frame) {
        throttle.offer(frame);
    }

    @Override
    public void setActive(boolean active) {
        this.active = active;
        throttle.setEnabled(active);
    }

    @Override
    public synchronized void viewerJoined() {
        if (closed) {
            return;
        }
        repeats.removeIf(ScheduledFuture::isDone);
        for (int i = 0; i < REPEATS_AFTER_JOIN; i++) {
            repeats.add(timer.schedule(throttle::resendLatest, i * REPEAT_EVERY_MS, TimeUnit.MILLISECONDS));
        }
    }

    @Override
    public long framesSkipped() {
        return throttle.dropped();
    }

    /** The picture of a screencast JPEG as I420: libjpeg-turbo's planes, or ImageIO's RGB converted by libyuv. */
    static NativeI420Buffer decode(byte[] jpeg, Optional<JpegPlanes> decoder) throws Exception {
        if (decoder.isPresent()) {
            Optional<NativeI420Buffer> planes = decoder.get().decode(jpeg);
            if (planes.isPresent()) {
                return planes.get();
            }
        }
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(jpeg));
        if (image == null) {
            throw new IOException("no picture ImageIO can read");
        }
        BufferedImage bgr = image;
        if (image.getType() != BufferedImage.TYPE_3BYTE_BGR) {
            bgr = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
            bgr.getGraphics().drawImage(image, 0, 0, null);
        }
        byte[] pixels = ((DataBufferByte) bgr.getRaster().getDataBuffer()).getData();
        NativeI420Buffer i420 = NativeI420Buffer.allocate(bgr.getWidth(), bgr.getHeight());
        // A 3-byte-BGR raster is libyuv's "RGB24" (B, G, R in memory), FourCC 24BG.
        VideoBufferConverter.convertToI420(pixels, i420, FourCC.BG24);
        return i420;
    }

    private void push(BrowserSession.CapturedFrame frame) {
        try {
            NativeI420Buffer i420 = decode(frame.jpeg(), jpegPlanes);
            VideoTimings.Frame pushed;
            synchronized (pushLock) {
                if (closed()) {
                    i420.release();
                    return;
                }
                if (lastPicture != null) {
                    lastPicture.release();
                }
                i420.retain();
                lastPicture = i420;
                lastCapturedUs = frame.captureTimeUs();
                pushed = pushNow(i420, lastCapturedUs);
            }
            // Outside the lock: telling viewers must not hold up the next push.
            tell(pushed);
        } catch (IOException e) {
            LOG.log(Level.FINE, "undecodable frame", e);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "pushing a video frame failed", e);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            keepalive.cancel(false);
            repeats.forEach(r -> r.cancel(false));
            repeats.clear();
        }
        throttle.close();
        synchronized (pushLock) {
            jpegPlanes.ifPresent(JpegPlanes::close);
            if (lastPicture != null) {
                lastPicture.release();
                lastPicture = null;
            }
            rtpClock.dispose();
        }
    }
}
