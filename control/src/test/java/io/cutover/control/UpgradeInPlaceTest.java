package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.proxy.TestBackend;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cutover upgrade}: the running cutover starts its successor from its own command line,
 * which takes over; the old one exits 0. A successor that fails leaves it serving. Every
 * successor started is stopped at the end, by its pid (from the old one's log).
 */
@org.junit.jupiter.api.Timeout(180)     // three JVMs under load, with BlockHound and paranoid leak detection
class UpgradeInPlaceTest {
    private static final Pattern TOOK_OVER = Pattern.compile("upgraded: pid (\\d+) took over from pid (\\d+)");

    @TempDir
    Path dir;

    private Path config(TestBackend app) throws Exception {
        return ServeProcess.config(dir, app, "10s");
    }

    private static String get(int port) throws Exception {
        return ServeProcess.get(port).body();
    }

    private static final Pattern STARTED = Pattern.compile("upgrade: started pid (\\d+)");

    /** Stops every successor the old process started (not ServeProcess's own), by pid, as an operator would. */
    private static void stopSuccessors(ServeProcess old) throws Exception {
        Matcher m = STARTED.matcher(old.log());
        while (m.find()) {
            stop(Long.parseLong(m.group(1)));
        }
    }

    private static void stop(long pid) throws Exception {
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isPresent()) {
            p.get().destroy();
            p.get().onExit().get(45, TimeUnit.SECONDS);
        }
    }

    @Test
    void cutoverUpgradeStartsTheSuccessorWhichTakesOverUnderLoad() throws Exception {
        try (TestBackend app = TestBackend.start("app");
             ServeProcess old = ServeProcess.start(List.of(), "--config", config(app).toString())) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", old.proxyPort());
            KeepAliveLoad load = KeepAliveLoad.connectionPerRequest(address, 3);
            long successor = 0;
            try {
                load.awaitRequests(100);
                ServeProcess.Result r = ServeProcess.run("upgrade", "--admin", "127.0.0.1:" + old.adminPort(),
                        "--state-dir", dir.toString());
                assertEquals(0, r.exitCode(), r.output() + old.log());
                Matcher m = TOOK_OVER.matcher(r.output());
                assertTrue(m.find(), r.output());
                successor = Long.parseLong(m.group(1));
                assertEquals(old.process().pid(), Long.parseLong(m.group(2)));
                assertTrue(old.process().waitFor(30, TimeUnit.SECONDS), old.log());
                assertEquals(0, old.process().exitValue(), old.log());
                assertTrue(ProcessHandle.of(successor).map(ProcessHandle::isAlive).orElse(false), "the successor serves");
                load.awaitRequests(load.requests() + 100);
                assertEquals("app", get(address.getPort()));
            } finally {
                List<String> failures = load.stop();
                stopSuccessors(old);
                assertEquals(List.of(), failures);
            }
        }
    }

    @Test
    void anUpgradeWhoseSuccessorFindsTheAppUnhealthyFailsAndSaysWhyAndTheOldOneServes() throws Exception {
        try (TestBackend app = TestBackend.start("app");
             ServeProcess old = ServeProcess.start(List.of(), "--config", config(app).toString())) {
            app.healthStatus(503);
            ServeProcess.Result r = ServeProcess.run("upgrade", "--admin", "127.0.0.1:" + old.adminPort(),
                        "--state-dir", dir.toString());
            assertEquals(1, r.exitCode(), r.output());
            assertTrue(r.output().contains("upgrade failed") && r.output().contains("did not pass its health check"),
                    r.output());
            assertTrue(old.process().isAlive());
            assertEquals("app", get(old.proxyPort()));
            stopSuccessors(old);
        }
    }
}
