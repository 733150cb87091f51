package dev.mbi.runner;

import dev.onvoid.webrtc.media.FourCC;
import dev.onvoid.webrtc.media.video.CustomVideoSource;
import dev.onvoid.webrtc.media.video.NativeI420Buffer;
import dev.onvoid.webrtc.media.video.VideoBufferConverter;
import dev.onvoid.webrtc.media.video.VideoFrame;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;
import javax.imageio.ImageIO;

/**
 * Feeds captured viewport images into the WebRTC video source, which libwebrtc encodes as VP8
 * for every connected viewer. Frames arrive only when the page changes; a frame is pushed again
 * only on request (when a viewer joins and needs a first key frame).
 */
final class VideoFeed implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(VideoFeed.class.getName());
    static final int MAX_FPS = 30;

    private final CustomVideoSource source;
    private final FrameThrottle<BrowserSession.CapturedFrame> throttle;

    VideoFeed(CustomVideoSource source) {
        this.source = source;
        this.throttle = new FrameThrottle<>(MAX_FPS, this::push);
    }

    void offer(BrowserSession.CapturedFrame frame) {
        throttle.offer(frame);
    }

    /** Frames flow only while a viewer is connected. */
    void setActive(boolean active) {
        throttle.setEnabled(active);
    }

    /** Pushes the newest frame once more, so a viewer that just joined gets a picture on a static page. */
    void repeatLatest() {
        throttle.resendLatest();
    }

    long framesSkipped() {
        return throttle.dropped();
    }

    private void push(BrowserSession.CapturedFrame frame) {
        try {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(frame.jpeg()));
            if (image == null) {
                return;
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
            VideoFrame videoFrame = new VideoFrame(i420, System.nanoTime());
            source.pushFrame(videoFrame);
            videoFrame.release();
        } catch (IOException e) {
            LOG.log(Level.FINE, "undecodable frame", e);
        } catch (Exception e) {
            LOG.log(Level.WARNING, "pushing a video frame failed", e);
        }
    }

    @Override
    public void close() {
        throttle.close();
    }
}
