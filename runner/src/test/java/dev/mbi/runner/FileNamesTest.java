package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class FileNamesTest {
    @Test
    void aNameKeepsOnlyItsLastPathElement() {
        assertEquals(Optional.of("passwd"), FileNames.safe("../../etc/passwd"));
        assertEquals(Optional.of("report.pdf"), FileNames.safe("C:\\Users\\me\\report.pdf"));
        assertEquals(Optional.of("a b.txt"), FileNames.safe("  a\u0000 b.txt\n"));
    }

    @Test
    void namesThatLeaveNothingAreRefused() {
        assertEquals(Optional.empty(), FileNames.safe(""));
        assertEquals(Optional.empty(), FileNames.safe("."));
        assertEquals(Optional.empty(), FileNames.safe(".."));
        assertEquals(Optional.empty(), FileNames.safe("dir/.."));
        assertEquals(Optional.empty(), FileNames.safe("dir/"));
        assertEquals(Optional.empty(), FileNames.safe(null));
    }

    @Test
    void aLongNameKeepsItsEnd() {
        String name = "x".repeat(500) + ".pdf";
        assertEquals(200, FileNames.safe(name).orElseThrow().length());
        assertEquals(true, FileNames.safe(name).orElseThrow().endsWith(".pdf"));
    }

    @Test
    void theTypeFollowsTheName() {
        assertEquals("application/pdf", FileNames.mime("a.pdf"));
        assertEquals("application/octet-stream", FileNames.mime("a.unknownext"));
    }
}
