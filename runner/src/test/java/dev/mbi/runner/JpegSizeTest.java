package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class JpegSizeTest {
    @Test
    void readsTheSizeOfARealJpeg() throws Exception {
        BufferedImage image = new BufferedImage(321, 123, BufferedImage.TYPE_INT_RGB);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "jpeg", out);
        assertArrayEquals(new int[] {321, 123}, JpegSize.read(out.toByteArray()));
    }

    @Test
    void refusesWhatIsNotAJpeg() {
        assertNull(JpegSize.read(new byte[] {1, 2, 3}));
        assertNull(JpegSize.read(new byte[] {(byte) 0xFF, (byte) 0xD8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
    }
}
