package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cutover that cannot start says why in one line and exits non-zero: no stack trace. */
class StartupErrorsTest {
    @TempDir
    Path dir;

    private static void assertOneLineFailure(ServeProcess.Result r, String expected) {
        assertEquals(1, r.exitCode(), r.output());
        List<String> said = r.output().lines().filter(l -> l.startsWith("cutover: ")).toList();
        assertEquals(1, said.size(), r.output());
        assertTrue(said.get(0).contains(expected), r.output());
        assertFalse(r.output().contains("\tat "), "no stack trace: " + r.output());
        assertFalse(r.output().contains("Exception"), "no exception named: " + r.output());
    }

    @Test
    void aListenerPortInUseIsOneLineNamingTheAddressAndTheReason() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertOneLineFailure(ServeProcess.run("serve", "--listen", "127.0.0.1:" + port, "--admin", "127.0.0.1:0",
                    "--config", emptyConfig().toString()),
                    "cannot listen on 127.0.0.1:" + port + " (clients): Address already in use");
        }
    }

    @Test
    void anAdminPortInUseIsOneLineToo() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertOneLineFailure(ServeProcess.run("serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:" + port,
                    "--config", emptyConfig().toString()),
                    "cannot listen on 127.0.0.1:" + port + " (admin API): Address already in use");
        }
    }

    @Test
    void anAddressNotOnThisHostIsOneLine() throws Exception {
        // 192.0.2.0/24 is reserved for documentation: no host has it
        assertOneLineFailure(ServeProcess.run("serve", "--listen", "192.0.2.1:8080", "--admin", "127.0.0.1:0",
                "--config", emptyConfig().toString()),
                "cannot listen on 192.0.2.1:8080 (clients): Cannot assign requested address");
    }

    @Test
    void anUnreadableStateFileIsOneLineAndTheFileIsKept() throws Exception {
        Path state = dir.resolve("shop.json");
        Files.writeString(state, "{\"app\": \"shop\", \"act");
        assertOneLineFailure(ServeProcess.run("serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                "--app-name", "shop", "--runtime", "process", "--config", emptyConfig().toString()),
                "the state file " + state + " cannot be read");
        assertEquals("{\"app\": \"shop\", \"act", Files.readString(state));
    }

    private Path emptyConfig() throws Exception {
        Path conf = dir.resolve("cutover.conf");
        Files.writeString(conf, "cutover.state-dir = \"" + dir + "\"\n");
        return conf;
    }
}
