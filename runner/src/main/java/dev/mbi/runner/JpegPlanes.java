package dev.mbi.runner;

import dev.onvoid.webrtc.media.video.NativeI420Buffer;
import java.io.IOException;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Decodes screencast JPEGs straight into libwebrtc's I420 planes. The implementation
 * ({@code TurboJpeg}: libjpeg-turbo through the foreign function API, final in Java 22) is in the
 * runner jar's Java 22 part; on Java 21, or where libturbojpeg is not installed, there is none and
 * frames are decoded by ImageIO.
 */
interface JpegPlanes extends AutoCloseable {
    String IMPLEMENTATION = "dev.mbi.runner.TurboJpeg";

    /**
     * The picture as I420 (a new buffer, one reference the caller owns), or empty when the JPEG's
     * layout is not I420's (not 4:2:0) and the caller must decode it another way.
     *
     * @throws IOException when the data is no JPEG the decoder can read
     */
    Optional<NativeI420Buffer> decode(byte[] jpeg) throws IOException;

    @Override
    void close();

    /** A decoder, or empty (said in the log) where this Java or machine has none. */
    static Optional<JpegPlanes> open() {
        try {
            return Optional.of((JpegPlanes) Class.forName(IMPLEMENTATION).getDeclaredConstructor().newInstance());
        } catch (ClassNotFoundException e) {
            Logger.getLogger(JpegPlanes.class.getName()).info("WebRTC frames are decoded by ImageIO, slower: libjpeg-turbo is used from Java 22 on");
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            Throwable cause = e instanceof java.lang.reflect.InvocationTargetException ite ? ite.getCause() : e;
            Logger.getLogger(JpegPlanes.class.getName()).info("WebRTC frames are decoded by ImageIO, slower: " + cause.getMessage());
        }
        return Optional.empty();
    }
}
