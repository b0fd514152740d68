package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The systemd units in examples/systemd: systemd itself finds nothing wrong with them, cutover
 * accepts their command line, and they set what socket activation and an upgrade need.
 */
class SystemdUnitsTest {
    private static final Path UNITS = Path.of("..", "examples", "systemd");
    private static final String INSTALLED = "/usr/local/bin/cutover";

    @TempDir
    Path dir;

    @Test
    void systemdAnalyzeVerifyFindsNothingToSay() throws Exception {
        // as installed, with the cutover script of this checkout where the unit expects it
        for (String unit : List.of("cutover.socket", "cutover.service")) {
            Files.writeString(dir.resolve(unit), Files.readString(UNITS.resolve(unit))
                    .replace(INSTALLED, Path.of("..", "bin", "cutover").toAbsolutePath().normalize().toString()));
        }
        Process p = new ProcessBuilder("systemd-analyze", "verify", "./cutover.socket", "./cutover.service")
                .directory(dir.toFile()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "systemd-analyze finished");
        String said = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.exitValue(), said);
        assertEquals("", said, "systemd-analyze verify has nothing to say about the units");
    }

    @Test
    void theServicesCommandLineIsOneCutoverTakesAndItSetsWhatAnUpgradeNeeds() throws Exception {
        String service = Files.readString(UNITS.resolve("cutover.service"));
        String execStart = value(service, "ExecStart");
        assertTrue(execStart.startsWith(INSTALLED + " serve "), execStart);
        List<String> args = new ArrayList<>(Arrays.asList(execStart.substring(INSTALLED.length() + 1).split(" ")));
        args.add("--help");     // parsed in full, then only the usage is printed
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, Main.execute(args.toArray(String[]::new), new PrintWriter(out), new PrintWriter(err)), err.toString());
        assertEquals("notify", value(service, "Type"), "READY and MAINPID come by sd_notify");
        assertEquals("all", value(service, "NotifyAccess"), "the new process of an upgrade is not the main one yet");
        assertEquals("process", value(service, "KillMode"), "app processes and the draining old process are not killed");
        assertTrue(value(Files.readString(UNITS.resolve("cutover.socket")), "FileDescriptorName").equals("clients"));
    }

    private static String value(String unit, String key) {
        return unit.lines().filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1).trim())
                .findFirst().orElseThrow(() -> new AssertionError("no " + key + " in\n" + unit));
    }
}
