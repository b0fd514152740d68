package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A client that sends its request body too slowly is answered 408 and closed, and its backend
 * connection with it; the failure is the client's: neither the stats a canary is judged by nor
 * the metrics count it against the app. And the canary's latency is the app's own: it leaves out
 * the client's upload.
 */
class SlowClientBodyTest {

    /** Answers each request once its Content-Length body is in; counts bodies the proxy cut off. */
    private static ScriptedBackend backend(AtomicInteger cutBodies) throws IOException {
        return ScriptedBackend.start((s, b) -> {
            InputStream in = s.getInputStream();
            for (;;) {
                String head = ScriptedBackend.readHead(in);
                if (head == null) {
                    return;
                }
                int length = 0;
                for (String line : head.split("\r\n")) {
                    if (line.toLowerCase().startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring(15).trim());
                    }
                }
                if (in.readNBytes(length).length < length) {
                    cutBodies.incrementAndGet();    // the proxy closed the connection mid-body
                    return;
                }
                ScriptedBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
    }

    private static ProxyServer proxy(ProxySettings settings, TrafficObserver observer) throws InterruptedException {
        return ProxyServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), settings,
                TestProxy.transport(), 2, observer);
    }

    /** Every status the observer was given. */
    private static TrafficObserver recording(List<Integer> statuses) {
        return (app, target, version) -> (status, nanos) -> statuses.add(status);
    }

    private static void awaitTrue(Eventually.Check<RuntimeException> condition, String what) throws InterruptedException {
        Eventually.until(Duration.ofSeconds(20), what, condition);
    }

    @Test
    void aStalledBodyGets408WhileOtherRequestsAreServedAndTheAppIsNotBlamed() throws Exception {
        AtomicInteger cutBodies = new AtomicInteger();
        List<Integer> statuses = new CopyOnWriteArrayList<>();
        ProxySettings settings = ProxySettings.defaults().withBodyTimeouts(Duration.ofMillis(300), 0);
        ProxyServer proxy = proxy(settings, recording(statuses));
        try (ScriptedBackend app = backend(cutBodies);
             RawHttp slow = new RawHttp(proxy.localAddress()); RawHttp other = new RawHttp(proxy.localAddress())) {
            proxy.router().flip(proxy.newBackend(app.target()));
            slow.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789");
            // while it stalls, others are served
            assertEquals(200, other.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().status());
            RawHttp.Response r = slow.read();
            assertEquals(408, r.status());
            assertEquals("close", r.header("connection"));
            assertTrue(slow.closedByPeer(), "the slow client's connection is closed");
            awaitTrue(() -> cutBodies.get() == 1, "the backend connection is closed mid-body, not reused");
            assertEquals(200, other.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().status());
            awaitTrue(() -> statuses.size() == 3, "every request is observed");
            // in any order: the 408 can come before the first GET's answer on a busy machine
            assertEquals(List.of(200, 200, TrafficObserver.CLIENT_TOO_SLOW), statuses.stream().sorted().toList(),
                    "the 408 is the client's failure");
            RequestStats.Snapshot s = proxy.router().active().stats().snapshot();
            assertEquals(0, s.errors(), "the canary's error count is untouched");
            assertEquals(2, s.requests(), "only the app's own requests are counted");
        } finally {
            proxy.close();
        }
    }

    @Test
    void aBodyTrickledBelowTheMinimumRateGets408() throws Exception {
        AtomicInteger cutBodies = new AtomicInteger();
        List<Integer> statuses = new CopyOnWriteArrayList<>();
        // a byte every 50 ms never trips the idle timeout, but averages 20 bytes/s: below 1000
        ProxySettings settings = ProxySettings.defaults().withBodyTimeouts(Duration.ofMillis(500), 1000);
        ProxyServer proxy = proxy(settings, recording(statuses));
        try (ScriptedBackend app = backend(cutBodies); RawHttp slow = new RawHttp(proxy.localAddress())) {
            proxy.router().flip(proxy.newBackend(app.target()));
            slow.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n");
            Thread trickle = new Thread(() -> {
                try {
                    for (int i = 0; i < 1000; i++) {     // bounded: 50 s at most
                        Thread.sleep(50);       // deliberate: the client trickles its body
                        slow.send("x");
                    }
                } catch (IOException | InterruptedException closed) {
                    // the proxy closed the connection, or the test ended
                }
            }, "trickle");
            trickle.setDaemon(true);
            trickle.start();
            RawHttp.Response r = slow.read();
            trickle.interrupt();
            assertEquals(408, r.status());
            awaitTrue(() -> cutBodies.get() == 1, "the backend connection is closed mid-body");
            awaitTrue(() -> statuses.size() == 1, "the request is observed");
            assertEquals(List.of(TrafficObserver.CLIENT_TOO_SLOW), statuses);
            assertEquals(0, proxy.router().active().stats().snapshot().requests());
        } finally {
            proxy.close();
        }
    }

    @Test
    void aBackendThatStopsReadingTheBodyIsTheAppsSlownessNotTheClients() throws Exception {
        List<Integer> statuses = new CopyOnWriteArrayList<>();
        // the body idle timeout is far shorter than the response timeout: only the latter may trip
        ProxySettings settings = ProxySettings.defaults().withBodyTimeouts(Duration.ofMillis(200), 1_000_000)
                .withResponseTimeout(Duration.ofSeconds(1));
        ProxyServer proxy = proxy(settings, recording(statuses));
        try (ScriptedBackend stalled = ScriptedBackend.start((s, b) -> {
                ScriptedBackend.readHead(s.getInputStream());
                Thread.sleep(30_000);       // deliberate: reads no byte of the body, answers nothing
            });
             RawHttp client = new RawHttp(proxy.localAddress())) {
            proxy.router().flip(proxy.newBackend(stalled.target()));
            long length = 256L << 20;
            client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: " + length + "\r\n\r\n");
            Thread upload = new Thread(() -> {
                byte[] block = new byte[64 * 1024];
                try {
                    for (long sent = 0; sent < length; sent += block.length) {
                        client.send(new String(block, java.nio.charset.StandardCharsets.ISO_8859_1));
                    }
                } catch (IOException closed) {
                    // the proxy answered and closed
                }
            }, "upload");
            upload.setDaemon(true);
            upload.start();
            assertEquals(504, client.read().status(), "the backend's slowness: a gateway timeout, not a 408");
            awaitTrue(() -> statuses.size() == 1, "the request is observed");
            assertEquals(List.of(504), statuses);
            assertEquals(1, proxy.router().active().stats().snapshot().errors(), "counted against the app");
        } finally {
            proxy.close();
        }
    }

    @Test
    void theCanarysLatencyLeavesOutASlowClientUpload() throws Exception {
        AtomicInteger cutBodies = new AtomicInteger();
        ProxyServer proxy = proxy(ProxySettings.defaults(), TrafficObserver.NONE);
        try (ScriptedBackend app = backend(cutBodies); RawHttp client = new RawHttp(proxy.localAddress())) {
            proxy.router().flip(proxy.newBackend(app.target()));
            long began = System.nanoTime();
            client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n");
            for (int i = 0; i < 5; i++) {
                Thread.sleep(200);      // deliberate: a slow client's upload
                client.send("x");
            }
            assertEquals(200, client.read().status());
            long uploadMicros = (System.nanoTime() - began) / 1000;
            awaitTrue(() -> proxy.router().active().stats().snapshot().requests() == 1, "the request is counted");
            long p99 = proxy.router().active().stats().snapshot().quantileMicros(0.99);
            assertTrue(p99 < uploadMicros / 2, "the app's latency " + p99 + " µs is not the upload's " + uploadMicros + " µs");
        } finally {
            proxy.close();
        }
    }
}
