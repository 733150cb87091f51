package dev.mbi.edge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MultipartFilesTest {
    private record File(String name, String type, byte[] bytes) {
    }

    private static byte[] form(String boundary, List<File> files) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (File f : files) {
            out.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" + f.name()
                    + "\"\r\nContent-Type: " + f.type() + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            out.writeBytes(f.bytes());
            out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static List<File> parse(String boundary, byte[] body) throws Exception {
        List<File> got = new ArrayList<>();
        ByteArrayOutputStream current = new ByteArrayOutputStream();
        MultipartFiles.read(new ByteArrayInputStream(body), boundary, new MultipartFiles.Consumer() {
            @Override
            public void start(MultipartFiles.Part part) {
                current.reset();
            }

            @Override
            public void bytes(byte[] data, int length) {
                current.write(data, 0, length);
            }

            @Override
            public void end(MultipartFiles.Part part) {
                got.add(new File(part.fileName(), part.contentType(), current.toByteArray()));
            }
        });
        return got;
    }

    @Test
    void filesComeOutByteExactWhateverTheyHoldAndHowLargeTheyAre() throws Exception {
        byte[] big = new byte[700_000];
        new Random(7).nextBytes(big);
        // Bytes that look like the start of a delimiter inside a file must stay in the file.
        byte[] tricky = "a\r\n--boundar\r\n-x\r\n--".getBytes(StandardCharsets.UTF_8);
        List<File> files = List.of(new File("report.pdf", "application/pdf", big), new File("notes ✓.txt", "text/plain", tricky),
                new File("empty.bin", "application/octet-stream", new byte[0]));
        List<File> got = parse("boundary", form("boundary", files));
        assertEquals(3, got.size());
        for (int i = 0; i < files.size(); i++) {
            assertEquals(files.get(i).name(), got.get(i).name());
            assertEquals(files.get(i).type(), got.get(i).type());
            assertArrayEquals(files.get(i).bytes(), got.get(i).bytes());
        }
    }

    @Test
    void theBoundaryComesFromTheContentTypeAndMalformedBodiesAreRefused() throws Exception {
        assertEquals("abc", MultipartFiles.boundary(Optional.of("multipart/form-data; boundary=abc")));
        assertEquals("a b", MultipartFiles.boundary(Optional.of("multipart/form-data; boundary=\"a b\"")));
        assertEquals(415, assertThrows(ApiException.class, () -> MultipartFiles.boundary(Optional.of("application/json"))).status());
        assertEquals(400, assertThrows(ApiException.class, () -> MultipartFiles.boundary(Optional.of("multipart/form-data"))).status());
        assertTrue(assertThrows(ApiException.class, () -> parse("b", "garbage".getBytes(StandardCharsets.UTF_8)))
                .getMessage().contains("must start with its boundary"));
        byte[] cut = "--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"x\"\r\n\r\nno end".getBytes(StandardCharsets.UTF_8);
        assertTrue(assertThrows(ApiException.class, () -> parse("b", cut)).getMessage().contains("does not end"));
        byte[] notAFile = "--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--b--".getBytes(StandardCharsets.UTF_8);
        assertTrue(assertThrows(ApiException.class, () -> parse("b", notAFile)).getMessage().contains("must be a file"));
    }
}
