package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.proxy.Eventually;
import io.cutover.proxy.RawHttp;
import io.cutover.proxy.TestBackend;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cutover serve --takeover} between two real processes: the running one exits 0 once
 * the new one accepts, with no failed request; a new one that cannot start or dies first leaves
 * the running one serving.
 */
@org.junit.jupiter.api.Timeout(180)     // two serve JVMs under load
class ServeTakeoverTest {
    @TempDir
    Path dir;

    private Path config(TestBackend app) throws Exception {
        return ServeProcess.config(dir, app, "5s");
    }

    private static String get(int port) throws Exception {
        return ServeProcess.get(port).body();
    }

    @Test
    void theRunningProcessHandsOverUnderLoadAndExitsZero() throws Exception {
        try (TestBackend app = TestBackend.start("app");
             ServeProcess old = ServeProcess.start(List.of(), "--config", config(app).toString())) {
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", old.proxyPort());
            KeepAliveLoad keepAlive = KeepAliveLoad.start(address, 3);
            KeepAliveLoad perRequest = KeepAliveLoad.connectionPerRequest(address, 3);
            ServeProcess fresh = null;
            try {
                keepAlive.awaitRequests(200);
                perRequest.awaitRequests(200);
                fresh = ServeProcess.start(List.of(), "--config", dir.resolve("cutover.conf").toString(), "--takeover");
                assertTrue(old.process().waitFor(30, TimeUnit.SECONDS), "the old process stopped: " + old.log());
                assertEquals(0, old.process().exitValue(), old.log());
                assertTrue(old.log().contains("handed over to pid " + fresh.process().pid()), old.log());
                assertTrue(fresh.log().contains("took over from pid " + old.process().pid()), fresh.log());
                keepAlive.awaitRequests(keepAlive.requests() + 200);
                perRequest.awaitRequests(perRequest.requests() + 200);
                assertEquals("app", get(address.getPort()));
            } finally {
                List<String> keepAliveFailures = keepAlive.stop();
                List<String> perRequestFailures = perRequest.stop();
                if (fresh != null) {
                    fresh.close();      // after the load: stopping it is not part of the takeover
                }
                assertEquals(List.of(), keepAliveFailures, "no keep-alive request failed");
                assertEquals(List.of(), perRequestFailures, "no connection was refused and no request failed");
            }
            old.assertClean();
        }
    }

    @Test
    void aTakeoverWithABadConfigExitsOneAndTheRunningProcessGoesOn() throws Exception {
        try (TestBackend app = TestBackend.start("app");
             ServeProcess old = ServeProcess.start(List.of(), "--config", config(app).toString())) {
            Path bad = dir.resolve("bad.conf");
            Files.writeString(bad, "cutover.state-dir = \"" + dir + "\"\ncutover.listen = nonsense\n");
            ServeProcess.Result r = ServeProcess.run("serve", "--config", bad.toString(), "--takeover");
            assertEquals(1, r.exitCode(), r.output());
            assertTrue(r.output().contains("cutover.listen"), r.output());
            assertTrue(old.process().isAlive());
            assertEquals("app", get(old.proxyPort()));
        }
    }

    @Test
    void aNewProcessThatDiesBeforeItAcceptsLeavesTheRunningOneServingAndDeployable() throws Exception {
        try (TestBackend app = TestBackend.start("app");
             TestBackend other = TestBackend.start("other");
             ServeProcess old = ServeProcess.start(List.of(), "--config", config(app).toString())) {
            app.healthDelayMs(60_000);     // the new process waits in its health check...
            ServeProcess fresh = ServeProcess.launch("serve", "--config",
                    dir.resolve("cutover.conf").toString(), "--takeover");
            try {
                Eventually.value(Duration.ofSeconds(30), "a takeover asked", () -> old.log() + fresh.log(),
                        logs -> old.log().contains("asks for the listeners"));
            } finally {
                fresh.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);     // ...and dies there
                fresh.close();
            }
            app.healthDelayMs(0);
            Eventually.value(Duration.ofSeconds(30), "the failed takeover in the log", old::log,
                    log -> log.contains("failed, this cutover goes on serving"));
            assertEquals("app", get(old.proxyPort()));
            ServeProcess.Result s = ServeProcess.run("switch", "--admin", "127.0.0.1:" + old.adminPort(), "--state-dir", dir.toString(),
                    other.target().toString());
            assertEquals(0, s.exitCode(), "switches are taken again: " + s.output());
            assertEquals("other", get(old.proxyPort()));
        }
    }

    @Test
    void aTakeoverWhoseNewProcessCannotReadTheStateLeavesTheRunningOneServing() throws Exception {
        try (TestBackend v1 = TestBackend.start("v1"); TestBackend v2 = TestBackend.start("v2")) {
            Path file = dir.resolve("cutover.conf");
            Files.writeString(file, "cutover.state-dir = \"" + dir + "\"\n"
                    + "cutover.app { name = web, runtime = process, ports = [" + v1.port() + ", " + v2.port() + "] }\n");
            try (ServeProcess old = ServeProcess.start(List.of(), "--config", file.toString())) {
                Files.writeString(dir.resolve("web.json"), "{ not json");      // the new process reads it; the old one did
                ServeProcess.Result r = ServeProcess.run("serve", "--config", file.toString(), "--listen", "127.0.0.1:0",
                        "--admin", "127.0.0.1:0", "--takeover");
                assertEquals(1, r.exitCode(), r.output());
                assertTrue(r.output().contains("takeover failed") && r.output().contains("web.json"), r.output());
                old.awaitLog("failed, this cutover goes on serving");     // the old one logs it a little later
                assertTrue(old.process().isAlive());
                try (RawHttp raw = new RawHttp(new InetSocketAddress("127.0.0.1", old.adminPort()))) {
                    assertEquals(200, raw.send("GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n" + TestAdmin.rawHeaders(TestAdmin.token(dir)) + "\r\n").read().status(),
                            "the running cutover answers, its apps back in service");
                }
            }
        }
    }
}
