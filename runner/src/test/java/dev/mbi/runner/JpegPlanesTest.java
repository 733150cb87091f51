package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onvoid.webrtc.media.video.NativeI420Buffer;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Optional;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** libjpeg-turbo's planes against ImageIO's RGB converted by libyuv, on the same JPEGs. */
class JpegPlanesTest {
    private static JpegPlanes turbo;

    @BeforeAll
    static void load() throws ClassNotFoundException {
        Class.forName("dev.onvoid.webrtc.PeerConnectionFactory"); // loads libwebrtc, whose buffers hold the planes
        turbo = JpegPlanes.open().orElseThrow(() -> new AssertionError("libjpeg-turbo must be usable (Java 22 or later; make test installs libturbojpeg0)"));
    }

    @AfterAll
    static void close() {
        turbo.close();
    }

    @Test
    void aFourTwoZeroJpegBecomesTheSamePictureAsThroughRgb() throws Exception {
        byte[] jpeg = jpeg(picture(), 2);
        NativeI420Buffer fast = turbo.decode(jpeg).orElseThrow();
        NativeI420Buffer slow = ScreencastVideo.decode(jpeg, Optional.empty());
        try {
            assertEquals(slow.getWidth(), fast.getWidth());
            assertEquals(slow.getHeight(), fast.getHeight());
            // Inside each colour's area, away from edges: black, white, red, a mid grey.
            for (int[] at : new int[][] {{8, 8}, {40, 8}, {8, 40}, {40, 40}}) {
                int x = at[0];
                int y = at[1];
                assertNear(luma(slow, x, y), luma(fast, x, y), "Y at " + x + "," + y);
                assertNear(chroma(slow.getDataU(), slow.getStrideU(), x, y), chroma(fast.getDataU(), fast.getStrideU(), x, y), "U at " + x + "," + y);
                assertNear(chroma(slow.getDataV(), slow.getStrideV(), x, y), chroma(fast.getDataV(), fast.getStrideV(), x, y), "V at " + x + "," + y);
            }
            assertNear(16, luma(fast, 8, 8), "black is video-range black");
            assertNear(235, luma(fast, 40, 8), "white is video-range white");
        } finally {
            fast.release();
            slow.release();
        }
    }

    @Test
    void aJpegThatIsNotFourTwoZeroIsLeftToImageIo() throws Exception {
        byte[] jpeg = jpeg(picture(), 1);
        assertTrue(turbo.decode(jpeg).isEmpty(), "4:4:4 is not I420's layout");
        NativeI420Buffer picture = ScreencastVideo.decode(jpeg, Optional.of(turbo));
        try {
            assertEquals(48, picture.getWidth());
        } finally {
            picture.release();
        }
    }

    @Test
    void dataThatIsNoJpegIsAnErrorNotACrash() throws IOException {
        IOException e = assertThrows(IOException.class, () -> turbo.decode(new byte[] {1, 2, 3, 4}));
        assertTrue(e.getMessage().startsWith("TurboJPEG could not read the frame: "), e.getMessage());
        // A truncated JPEG: TurboJPEG either fails with its error or, warning, gives the whole picture's planes.
        byte[] cut = java.util.Arrays.copyOf(jpeg(picture(), 2), 200);
        try {
            turbo.decode(cut).ifPresent(picture -> {
                assertEquals(48, picture.getWidth());
                picture.release();
            });
        } catch (IOException failed) {
            assertTrue(failed.getMessage().startsWith("TurboJPEG could not decode the frame: "), failed.getMessage());
        }
    }

    /** 48×48 in four flat 24×24 squares: black, white / red, grey. */
    private static BufferedImage picture() {
        BufferedImage image = new BufferedImage(48, 48, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.BLACK);
        g.fillRect(0, 0, 24, 24);
        g.setColor(Color.WHITE);
        g.fillRect(24, 0, 24, 24);
        g.setColor(new Color(220, 30, 30));
        g.fillRect(0, 24, 24, 24);
        g.setColor(new Color(128, 128, 128));
        g.fillRect(24, 24, 24, 24);
        g.dispose();
        return image;
    }

    /** A JPEG of the picture whose chroma is sampled every {@code chromaStep} pixels both ways (2: 4:2:0, 1: 4:4:4). */
    private static byte[] jpeg(BufferedImage image, int chromaStep) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(0.95f);
        IIOMetadata metadata = writer.getDefaultImageMetadata(new javax.imageio.ImageTypeSpecifier(image), param);
        IIOMetadataNode root = (IIOMetadataNode) metadata.getAsTree("javax_imageio_jpeg_image_1.0");
        IIOMetadataNode components = (IIOMetadataNode) root.getElementsByTagName("componentSpec").item(0).getParentNode();
        for (int i = 0; i < components.getLength(); i++) {
            IIOMetadataNode component = (IIOMetadataNode) components.item(i);
            int factor = i == 0 ? chromaStep : 1;
            component.setAttribute("HsamplingFactor", String.valueOf(factor));
            component.setAttribute("VsamplingFactor", String.valueOf(factor));
        }
        metadata.setFromTree("javax_imageio_jpeg_image_1.0", root);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var stream = ImageIO.createImageOutputStream(out)) {
            writer.setOutput(stream);
            writer.write(null, new IIOImage(image, null, metadata), param);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    private static int luma(NativeI420Buffer picture, int x, int y) {
        return picture.getDataY().get(y * picture.getStrideY() + x) & 0xff;
    }

    private static int chroma(ByteBuffer plane, int stride, int x, int y) {
        return plane.get((y / 2) * stride + x / 2) & 0xff;
    }

    private static void assertNear(int expected, int actual, String what) {
        assertTrue(Math.abs(expected - actual) <= 4, what + ": expected about " + expected + ", was " + actual);
    }
}
