package io.cutover.control;

import io.cutover.control.takeover.Upgrade;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The successor of an upgrade runs this process's command line, with --takeover where picocli takes it. */
class UpgradeCommandLineTest {
    @TempDir
    Path dir;

    private List<String> successor(String... cmdline) throws Exception {
        Path file = dir.resolve("cmdline");
        Files.writeString(file, String.join("\0", cmdline) + "\0");
        List<String> cmd = Upgrade.successorCommand(file);
        return cmd.subList(cmd.size() - cmdline.length, cmd.size());     // the arguments, after the program
    }

    @Test
    void takeoverGoesRightAfterServeEvenBeforeADoubleDash() throws Exception {
        assertEquals(List.of("-Xmx128m", "-jar", "c.jar", "serve", "--takeover", "--config", "f", "--"),
                successor("java", "-Xmx128m", "-jar", "c.jar", "serve", "--config", "f", "--"));
    }

    @Test
    void theProgramIsTheOneTheCommandLineNamesFoundOnThePathAsBefore() throws Exception {
        Path file = dir.resolve("cmdline");
        Files.writeString(file, String.join("\0", "java", "-jar", "c.jar", "serve") + "\0");
        List<String> cmd = Upgrade.successorCommand(file);
        assertEquals("java", cmd.get(cmd.indexOf("-jar") - 1), "not this process's executable, deleted by a JDK update");
    }

    @Test
    void aCommandLineThatTakesOverAlreadyIsRunAsItIs() throws Exception {
        assertEquals(List.of("-jar", "c.jar", "serve", "--takeover"),
                successor("java", "-jar", "c.jar", "serve", "--takeover").subList(1, 5));
    }
}
