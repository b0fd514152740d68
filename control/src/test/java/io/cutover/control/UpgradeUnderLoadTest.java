package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.proxy.Eventually;
import io.cutover.proxy.InFlightClients;
import io.cutover.proxy.TestBackend;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code cutover upgrade} of a real process under the harshest clients: ones that always have a
 * request in flight on every keep-alive connection (GETs, POSTs with the body under way,
 * streamed responses), straight to cutover on each transport, and through HAProxy keeping a
 * keep-alive pool to cutover (as a load balancer does). No request fails.
 */
@org.junit.jupiter.api.Timeout(180)     // a new JVM starts, checks and warms up on 2 cores the clients keep busy
class UpgradeUnderLoadTest {
    private static final Pattern TOOK_OVER = Pattern.compile("upgraded: pid (\\d+) took over from pid (\\d+)");

    @TempDir
    Path dir;

    private Path config(TestBackend app, String transport) throws Exception {
        Path file = dir.resolve("cutover.conf");
        Files.writeString(file, "cutover.state-dir = \"" + dir + "\"\ncutover.transport = " + transport
                + "\ncutover.target = \"" + app.target() + "\"\n"
                + "cutover.health { path = \"/health\", interval = 20ms, deadline = 5s }\n");
        return file;
    }

    /** Upgrades under the clients; returns the successor's pid (to stop it). */
    private long upgrade(ServeProcess old, InFlightClients clients) throws Exception {
        long successor = 0;
        for (int i = 0; i < 1; i++) {
            clients.awaitAnswered(clients.answered() + 300);
            ServeProcess.Result r;
            try {
                r = ServeProcess.run("upgrade", "--admin", "127.0.0.1:" + old.adminPort(), "--state-dir", dir.toString());
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\nthe running cutover's log:\n" + old.log(), e);
            }
            assertEquals(0, r.exitCode(), r.output() + old.log());
            Matcher m = TOOK_OVER.matcher(r.output());
            assertTrue(m.find(), r.output());
            if (successor != 0) {
                Optional<ProcessHandle> previous = ProcessHandle.of(successor);
                if (previous.isPresent()) {
                    previous.get().onExit().get(45, TimeUnit.SECONDS);     // it drained and exited
                }
            }
            successor = Long.parseLong(m.group(1));
        }
        clients.awaitAnswered(clients.answered() + 300);
        return successor;
    }

    private static void stop(long pid) throws Exception {
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isPresent()) {
            p.get().destroy();
            p.get().onExit().get(45, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll"})
    void anUpgradeUnderClientsThatAlwaysHaveARequestInFlightFailsNoRequest(String transport) throws Exception {
        try (TestBackend app = TestBackend.start("app");
             ServeProcess old = ServeProcess.start(List.of(), "--config", config(app, transport).toString())) {
            InFlightClients clients = InFlightClients.start(new InetSocketAddress("127.0.0.1", old.proxyPort()), 8, 150);
            long successor = 0;
            try {
                successor = upgrade(old, clients);
            } finally {
                List<String> failures = clients.stop();
                if (successor != 0) {
                    stop(successor);
                }
                assertEquals(List.of(), failures, old.log());
            }
            assertTrue(old.process().waitFor(30, TimeUnit.SECONDS), "the old one exits once its hand-over drain ends");
            assertTrue(old.log().contains("cut mid-exchange 0, cut at the deadline 0"), old.log());
        }
    }

    @Test
    void behindHaproxyKeepingAKeepAlivePoolAnUpgradeFailsNoRequest() throws Exception {
        int front;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            front = s.getLocalPort();
        }
        try (TestBackend app = TestBackend.start("app");
             ServeProcess old = ServeProcess.start(List.of(), "--config", config(app, "auto").toString())) {
            Path cfg = dir.resolve("haproxy.cfg");
            Files.writeString(cfg, String.join("\n",
                    "global", "  maxconn 1000",
                    "defaults", "  mode http", "  timeout connect 5s", "  timeout client 30s", "  timeout server 30s",
                    "  option http-keep-alive", "  http-reuse always",
                    "frontend f", "  bind 127.0.0.1:" + front, "  default_backend b",
                    "backend b", "  server cutover 127.0.0.1:" + old.proxyPort(), ""));
            // installed by bin/test; missing, this fails (it does not skip)
            Process haproxy = new ProcessBuilder("haproxy", "-db", "-f", cfg.toString())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
            long successor = 0;
            InFlightClients clients = null;
            try {
                Eventually.until(Duration.ofSeconds(20), "haproxy to listen", () -> {
                    try (java.net.Socket probe = new java.net.Socket("127.0.0.1", front)) {
                        return true;
                    } catch (java.net.ConnectException e) {
                        assertTrue(haproxy.isAlive(),
                                "haproxy did not start: " + Files.readString(dir.resolve("haproxy.log")));
                        return false;
                    }
                });
                // 4 clients: with HAProxy between them and cutover, 8 leave the new JVMs too little of 2 cores
                clients = InFlightClients.start(new InetSocketAddress("127.0.0.1", front), 4, 150);
                successor = upgrade(old, clients);
            } finally {
                List<String> failures = clients == null ? List.of() : clients.stop();
                haproxy.destroy();
                haproxy.waitFor(20, TimeUnit.SECONDS);
                if (successor != 0) {
                    stop(successor);
                }
                assertEquals(List.of(), failures, old.log());
            }
        }
    }
}
