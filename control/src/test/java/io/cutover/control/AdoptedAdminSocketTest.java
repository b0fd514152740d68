package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.proxy.TestBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An admin socket cutover did not bind from its config (systemd's, or one handed over in a
 * takeover) is checked as a configured one is: off loopback, it needs an admin token.
 */
class AdoptedAdminSocketTest {
    @TempDir
    Path dir;

    private static void assertOneLine(int exitCode, String output, String expected) {
        assertEquals(1, exitCode, output);
        List<String> said = output.lines().filter(l -> l.startsWith("cutover: ")).toList();
        assertEquals(1, said.size(), output);
        assertTrue(said.get(0).contains(expected), output);
        assertFalse(output.contains("\tat "), "no stack trace: " + output);
    }

    @Test
    void anAdminSocketFromSystemdOffLoopbackWithNoTokenIsRefusedInOneLineNamingTheSocketAndTheKey() throws Exception {
        try (TestBackend app = TestBackend.start("app")) {
            Path conf = ServeProcess.config(dir, app, "5s");
            Files.writeString(conf, Files.readString(conf) + "cutover.admin-token = \"\"\n");     // no token, on purpose
            try (ServeProcess serve = ServeProcess.launchActivated("clients,admin=0.0.0.0", "--config", conf.toString())) {
            int admin = serve.inheritedPort("admin");
            assertTrue(serve.process().waitFor(45, TimeUnit.SECONDS), serve.log());
            assertOneLine(serve.process().exitValue(), serve.log(),
                    "admin API socket (inherited descriptor 4) listens on 0.0.0.0:" + admin);
            assertTrue(serve.log().contains("cutover.admin-token is \"\" (no token)"), serve.log());
            }
        }
    }

    @Test
    void aTakeoverWithNoTokenOfAnAdminSocketOffLoopbackIsRefusedAndTheRunningCutoverGoesOnServing() throws Exception {
        try (TestBackend app = TestBackend.start("app")) {
            Path conf = ServeProcess.config(dir, app, "5s");
            String base = Files.readString(conf);
            Path old = dir.resolve("old.conf");
            Files.writeString(old, base + "cutover.admin = \"0.0.0.0:0\"\ncutover.listen = \"127.0.0.1:0\"\n"
                    + "cutover.admin-token = \"0123456789abcdef0123\"\n");
            // the new config binds loopback (port 0: "the running one's"), with no token, on purpose
            Files.writeString(conf, base + "cutover.admin = \"127.0.0.1:0\"\ncutover.listen = \"127.0.0.1:0\"\n"
                    + "cutover.admin-token = \"\"\n");
            try (ServeProcess running = ServeProcess.launch("serve", "--config", old.toString())) {
                running.awaitLog("control socket at");
                ServeProcess.Result r = ServeProcess.run("serve", "--config", conf.toString(), "--takeover");
                // the wildcard address, as 0.0.0.0 or as :: (an adopted socket is read as IPv6)
                assertOneLine(r.exitCode(), r.output(), "off loopback, and cutover.admin-token is \"\" (no token)");
                assertTrue(r.output().contains("the admin API socket ("), r.output());
                assertTrue(running.process().isAlive(), running.log());
                assertEquals("app", ServeProcess.get(running.proxyPort()).body());
            }
        }
    }
}
