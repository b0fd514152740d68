package io.cutover.control;

import io.cutover.control.app.App;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.config.ConfigLoader;
import io.cutover.control.config.Settings;
import io.cutover.control.takeover.ControlSocket;
import io.cutover.proxy.Eventually;
import io.cutover.proxy.RawHttp;
import io.cutover.proxy.TestBackend;
import io.cutover.proxy.TestProxy;
import java.io.ByteArrayOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A process that asks for a takeover and then goes silent holds the apps only until the deadline. */
class ControlSocketDeadlineTest {
    @TempDir
    Path state;

    @Test
    void aTakeoverRequestFollowedBySilenceLetsGoOfTheAppsByItselfAtTheDeadlineWhileTheCutoverServes() throws Exception {
        try (TestBackend app = TestBackend.start("app"); TestBackend other = TestBackend.start("other")) {
            Settings s = ConfigLoader.load(Optional.empty(), Map.of(
                    "cutover.listen", "127.0.0.1:0",
                    "cutover.admin", "127.0.0.1:0",
                    "cutover.transport", TestProxy.transport().toString(),
                    "cutover.health.path", "/health",
                    "cutover.health.interval", "20ms",
                    "cutover.health.deadline", "5s",
                    "cutover.takeover.deadline", "6s",     // the hold is surely still on when checked
                    "cutover.state-dir", state.toString(),
                    "cutover.target", app.target().toString()));
            try (Cutover old = Cutover.start(s, new Cutover.Launch(Clock.systemUTC(), Cutover::runtimeFor, () -> s, null))) {
                App a = old.apps().all().iterator().next();
                KeepAliveLoad load = KeepAliveLoad.start(old.proxyAddress(), 2);
                try (SocketChannel silent = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    load.awaitRequests(50);
                    silent.connect(UnixDomainSocketAddress.of(ControlSocket.path(state)));
                    silent.write(ByteBuffer.wrap("takeover\n".getBytes(StandardCharsets.US_ASCII)));
                    String offer = readLine(silent);
                    assertTrue(offer.startsWith("ok "), offer);
                    assertTrue(a.switches().heldByTakeover(), "the apps are held for the takeover");
                    // and now it says nothing more: the hold ends by itself
                    Eventually.until(Duration.ofSeconds(30), "the apps to be let go",
                            () -> !a.switches().heldByTakeover());
                    String refused = readLine(silent);
                    assertTrue(refused.startsWith("refused ") && refused.contains("cutover.takeover.deadline"), refused);
                    a.switches().switchTo(other.target()).get(10, TimeUnit.SECONDS);
                    load.awaitRequests(load.requests() + 50);
                } finally {
                    assertEquals(List.of(), load.stop(), "the cutover served throughout");
                }
                try (RawHttp raw = new RawHttp(old.proxyAddress())) {
                    assertEquals("other", raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
                }
                assertFalse(old.handedOver().isDone(), "the listeners are still its own");
            }
        }
    }

    /** One line (or what came before EOF), each read waiting 30 s at most. */
    private static String readLine(SocketChannel ch) throws Exception {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        ByteBuffer one = ByteBuffer.allocate(1);
        ch.configureBlocking(false);
        try (java.nio.channels.Selector selector = java.nio.channels.Selector.open()) {
            ch.register(selector, java.nio.channels.SelectionKey.OP_READ);
            while (true) {
                one.clear();
                int n = ch.read(one);
                if (n < 0) {
                    return line.toString(StandardCharsets.UTF_8);
                }
                if (n == 0) {
                    assertTrue(selector.select(30_000) > 0, "nothing to read for 30 s");
                    selector.selectedKeys().clear();
                    continue;
                }
                if (one.get(0) == '\n') {
                    return line.toString(StandardCharsets.UTF_8);
                }
                line.write(one.get(0));
            }
        } finally {
            ch.configureBlocking(true);
        }
    }
}
