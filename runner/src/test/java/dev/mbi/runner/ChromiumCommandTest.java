package dev.mbi.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChromiumCommandTest {
    private static final Path PROFILE = Path.of("/tmp/w/profile");

    @Test
    void devToolsGoesOverThePipeNeverAPort() {
        List<String> args = ChromiumCommand.arguments(true, CdpBrowserFactory.BASE_FLAGS,
                List.of("--remote-debugging-port=9222", "--remote-debugging-address=0.0.0.0", "--user-data-dir=/elsewhere"), PROFILE);
        assertTrue(args.contains("--remote-debugging-pipe"), args.toString());
        assertTrue(args.stream().filter(a -> a.startsWith("--remote-debugging")).allMatch("--remote-debugging-pipe"::equals), args.toString());
        assertEquals(List.of("--user-data-dir=" + PROFILE), args.stream().filter(a -> a.startsWith("--user-data-dir")).toList());
    }

    @Test
    void headlessOrOnTheDisplayAndEachFlagOnce() {
        List<String> headless = ChromiumCommand.arguments(true, CdpBrowserFactory.BASE_FLAGS, List.of(), PROFILE);
        List<String> desktop = ChromiumCommand.arguments(false, List.of("--kiosk"), List.of("--lang=fr"), PROFILE);
        assertTrue(headless.contains("--headless=new"));
        assertTrue(desktop.stream().noneMatch(a -> a.startsWith("--headless")), desktop.toString());
        assertTrue(desktop.contains("--kiosk") && desktop.contains("--lang=fr"), desktop.toString());
        assertEquals(headless.size(), headless.stream().distinct().count(), "no flag twice: " + headless);
        assertEquals("about:blank", headless.get(headless.size() - 1));
    }

    @Test
    void featureListsAreMergedSinceChromiumHonoursOnlyTheLastOne() {
        List<String> args = ChromiumCommand.arguments(true, List.of(),
                List.of("--disable-features=WebGL,Translate", "--enable-features=Foo", "--disable-features=Bar"), PROFILE);
        List<String> disabled = args.stream().filter(a -> a.startsWith("--disable-features=")).toList();
        assertEquals(1, disabled.size(), args.toString());
        assertTrue(disabled.get(0).contains("Translate,") && disabled.get(0).endsWith(",WebGL,Bar"), disabled.get(0));
        assertEquals(List.of("--enable-features=PdfOopif,NetworkServiceInProcess2,Foo"), args.stream().filter(a -> a.startsWith("--enable-features=")).toList());
    }

    @Test
    void aShellMapsThePipeToDescriptorsThreeAndFourAndBecomesChromium() {
        List<String> withSetpriv = ChromiumCommand.command("/usr/bin/chromium", List.of("--a", "b c"), Optional.of(Path.of("/usr/bin/setpriv")));
        assertEquals(List.of("/bin/sh", "-c",
                "exec '/usr/bin/setpriv' --pdeathsig KILL -- \"$0\" \"$@\" 3<&0 4>&1 0</dev/null 1>&2",
                "/usr/bin/chromium", "--a", "b c"), withSetpriv);
        List<String> plain = ChromiumCommand.command("/opt/it's/chrome", List.of(), Optional.empty());
        assertEquals("exec \"$0\" \"$@\" 3<&0 4>&1 0</dev/null 1>&2", plain.get(2));
        assertEquals("/opt/it's/chrome", plain.get(3), "the path travels as an argument, never inside the script");
        assertFalse(plain.get(2).contains("chrome"));
    }

    @Test
    void debiansWrapperScriptIsSkippedForItsBinaryAndAnyOtherPathIsKept(@TempDir Path dir) throws IOException {
        Path wrapper = Files.writeString(dir.resolve("chromium"), "#!/bin/sh\nexec /usr/lib/chromium/chromium \"$@\"\n");
        Path binary = Files.writeString(dir.resolve("chromium-binary"), "\u007fELF");
        binary.toFile().setExecutable(true);
        assertEquals(binary, ChromiumCommand.executable(wrapper, wrapper, binary));

        Path other = dir.resolve("chrome");
        assertEquals(other, ChromiumCommand.executable(other, wrapper, binary), "an operator's own Chromium is started as given");
        Path elsewhere = dir.resolve("absent");
        assertEquals(wrapper, ChromiumCommand.executable(wrapper, wrapper, elsewhere), "no binary beside it: the script itself");
        Path notAScript = Files.writeString(dir.resolve("chromium-elf"), "\u007fELF");
        assertEquals(notAScript, ChromiumCommand.executable(notAScript, notAScript, binary), "a wrapper that is no script is the binary already");
    }

    @Test
    void bothOfDebiansScriptsAreSkipped() {
        // make test installs both packages (chromium and chromium-headless-shell).
        assertEquals(ChromiumCommand.DEBIAN_BINARY, ChromiumCommand.executable(ChromiumCommand.DEBIAN_WRAPPER));
        assertEquals(ChromiumCommand.DEBIAN_SHELL_BINARY, ChromiumCommand.executable(ChromiumCommand.DEBIAN_SHELL_WRAPPER));
        assertEquals(Path.of("/opt/chrome/chrome"), ChromiumCommand.executable(Path.of("/opt/chrome/chrome")));
    }
}
