package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.proxy.Eventually;
import io.cutover.proxy.InFlightClients;
import io.cutover.proxy.TestBackend;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A real `cutover serve` stopped (SIGTERM, with and without the load balancer's grace) or
 * reloaded (SIGHUP) under clients that always have a request in flight, GETs, POSTs whose body
 * is under way and streamed responses, as wrk and a load balancer's keep-alive pool do: no
 * request fails, and every connection ends after a response that said Connection: close or idle.
 */
class StopUnderLoadTest {
    @TempDir
    Path dir;

    private Path config(String transport, TestBackend app, String more) throws Exception {
        Path file = dir.resolve("cutover.conf");
        Files.writeString(file, "cutover.state-dir = \"" + dir + "\"\ncutover.transport = " + transport
                + "\ncutover.target = \"" + app.target() + "\"\ncutover.health { path = \"/health\", interval = 50ms }\n"
                + more);
        return file;
    }

    private static void signal(Process p, String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + name);
    }

    private void stopUnderLoad(String transport, String more) throws Exception {
        try (TestBackend app = TestBackend.start("app");
             ServeProcess serve = ServeProcess.start(List.of(), "--config", config(transport, app, more).toString())) {
            InFlightClients clients = InFlightClients.untilRefused(new InetSocketAddress("127.0.0.1", serve.proxyPort()), 8);
            try {
                clients.awaitAnswered(600);
                signal(serve.process(), "TERM");
                assertTrue(clients.awaitEnded(40), "the clients end once the listener refuses them");
                assertEquals(List.of(), clients.stop(), "no request failed; log:\n" + serve.log());
            } finally {
                clients.stop();
            }
            assertTrue(serve.process().waitFor(30, TimeUnit.SECONDS), "it stopped");
            assertEquals(0, serve.process().exitValue(), serve.log());
            assertTrue(serve.log().contains("cut mid-exchange 0, cut at the deadline 0"), serve.log());
            assertTrue(serve.log().contains("cut_connections=0"), serve.log());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll"})
    void aSigtermUnderClientsThatAlwaysHaveARequestInFlightFailsNoRequest(String transport) throws Exception {
        stopUnderLoad(transport, "");
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll"})
    void aSigtermWithTheLoadBalancersGraceFailsNoRequest(String transport) throws Exception {
        stopUnderLoad(transport, "cutover.lb-health { path = \"/lb\", grace = 2s }\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll"})
    void aReloadUnderClientsThatAlwaysHaveARequestInFlightFailsNoRequest(String transport) throws Exception {
        try (TestBackend app = TestBackend.start("app");
             ServeProcess serve = ServeProcess.start(List.of(), "--config", config(transport, app, "").toString())) {
            InFlightClients clients = InFlightClients.start(new InetSocketAddress("127.0.0.1", serve.proxyPort()), 8);
            try {
                clients.awaitAnswered(300);
                // health and drain settings change: every app is touched
                Files.writeString(dir.resolve("cutover.conf"), "cutover.drain.deadline = 45s\n"
                        + "cutover.health.timeout = 3s\n", java.nio.file.StandardOpenOption.APPEND);
                signal(serve.process(), "HUP");
                Eventually.value(Duration.ofSeconds(20), "a reload in the log", serve::log, log -> log.contains("reloaded"));
                clients.awaitAnswered(clients.answered() + 300);
            } finally {
                assertEquals(List.of(), clients.stop(), "no request failed across the reload; log:\n" + serve.log());
            }
        }
    }
}
