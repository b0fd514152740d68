package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Malformed and ambiguous requests: each gets a clear status, its connection is closed, and the
 * backend never sees it (a smuggled second request cannot slip past).
 */
class HostileInputTest {
    @RegisterExtension
    final ProxiedApp proxied = new ProxiedApp();

    static Stream<Arguments> ambiguousResponses() {
        return Stream.of(
                Arguments.of("Content-Length and Transfer-Encoding", "Content-Length: 2\r\nTransfer-Encoding: chunked"),
                Arguments.of("a transfer coding besides chunked", "Transfer-Encoding: gzip, chunked"));
    }

    static Stream<Arguments> hostile() {
        String big = "a".repeat(20_000);
        return Stream.of(
                Arguments.of("malformed request line", "GARBAGE\r\n\r\n", 400),
                Arguments.of("header without a colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", 400),
                Arguments.of("header section too large", "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + big + "\r\n\r\n", 431),
                Arguments.of("URI too long", "GET /" + big + " HTTP/1.1\r\nHost: a\r\n\r\n", 414),
                Arguments.of("Content-Length and Transfer-Encoding",
                        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
                Arguments.of("duplicate Content-Length",
                        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
                Arguments.of("non-numeric Content-Length",
                        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3x\r\n\r\nabc", 400),
                Arguments.of("negative Content-Length",
                        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
                Arguments.of("xchunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400),
                Arguments.of("chunked, identity",
                        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 400),
                Arguments.of("chunked twice",
                        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
                Arguments.of("space before the colon",
                        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400),
                Arguments.of("bare LF line endings", "GET / HTTP/1.1\nHost: a\n\n", 400),
                Arguments.of("NUL in a header value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\0b\r\n\r\n", 400),
                Arguments.of("invalid header name", "GET / HTTP/1.1\r\nHost: a\r\nX@Y: 1\r\n\r\n", 400),
                Arguments.of("a transfer coding besides chunked (the decoder accepts it; cutover does not)",
                        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 400),
                Arguments.of("a list of equal Content-Lengths",
                        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc", 400),
                Arguments.of("a signed Content-Length",
                        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc", 400),
                Arguments.of("obs-fold (a header line starting with a space)",
                        "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n folded\r\n\r\n", 400),
                Arguments.of("obs-fold with a tab, folding Transfer-Encoding",
                        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\tchunked\r\n\r\n0\r\n\r\n", 400),
                Arguments.of("a bare CR inside a header", "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\rb\r\n\r\n", 400),
                Arguments.of("HTTP/1.2", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 400),
                Arguments.of("two spaces in the request line", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
                Arguments.of("no Host in HTTP/1.1", "GET / HTTP/1.1\r\nX-A: 1\r\n\r\n", 400),
                Arguments.of("two Host headers", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
                Arguments.of("Transfer_Encoding with an underscore",
                        "POST / HTTP/1.1\r\nHost: a\r\nTransfer_Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400),
                Arguments.of("Content_Length with an underscore",
                        "POST / HTTP/1.1\r\nHost: a\r\nContent_Length: 5\r\n\r\nhello", 400));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("hostile")
    void answersWithAClearStatusClosesAndNeverForwards(String what, String raw, int status) throws Exception {
        try (RawHttp client = new RawHttp(proxied.proxy().address())) {
            RawHttp.Response r = client.send(raw).read();
            assertEquals(status, r.status(), what);
            assertEquals("close", r.header("connection"), what);
            assertTrue(client.closedByPeer(), what + ": connection closed");
        }
        assertEquals(0, proxied.app().requests(), what + ": the backend never saw it");
        assertEquals("app", new RawHttp(proxied.proxy().address()).send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
    }

    @Test
    void aBadChunkMidBodyIsA400AndTheConnectionCloses() throws Exception {
        // the head was valid and went on (bodies stream); the bad chunk ends the exchange
        try (RawHttp client = new RawHttp(proxied.proxy().address())) {
            RawHttp.Response r = client.send("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "zz\r\nabc\r\n0\r\n\r\n").read();
            assertEquals(400, r.status());
            assertTrue(client.closedByPeer());
        }
        SwitchAndDrainTest.awaitInFlight(proxied.proxy().server().router().active(), 0);
    }

    @Test
    void aChunkSizeThatOverflows64BitsIs400AndNothingOfItReachesTheBackend() throws Exception {
        StringBuilder received = new StringBuilder();
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        try (ScriptedBackend recorder = ScriptedBackend.start((s, b) -> {
                try {
                    int c;
                    while ((c = s.getInputStream().read()) != -1) {
                        synchronized (received) {
                            received.append((char) c);
                        }
                    }
                } finally {
                    closed.countDown();     // end of stream or reset: the proxy closed it
                }
            });
             RawHttp client = new RawHttp(proxied.proxy().address())) {
            proxied.proxy().switchTo(recorder.target());
            RawHttp.Response r = client.send("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "1ffffffffffffffff\r\nabc\r\n0\r\n\r\n").read();
            assertEquals(400, r.status());
            assertTrue(client.closedByPeer());
            if (recorder.connections() > 0) {
                assertTrue(closed.await(10, java.util.concurrent.TimeUnit.SECONDS), "the backend connection was closed");
            }
            synchronized (received) {
                assertTrue(!received.toString().contains("ffff") && !received.toString().contains("abc"),
                        "the bad chunk never reached the backend: " + received);
            }
        }
    }

    @Test
    void aBodyThatLooksLikeARequestReachesTheBackendAsABodyNeverAsARequest() throws Exception {
        String smuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
        try (RawHttp client = new RawHttp(proxied.proxy().address())) {
            RawHttp.Response r = client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: "
                    + smuggled.length() + "\r\n\r\n" + smuggled).read();
            assertEquals(Integer.toString(smuggled.length()), r.body(), "all of it arrived as the body");
            assertEquals("app", client.send("GET /next HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
        }
        assertEquals(java.util.List.of("POST /upload", "GET /next"), proxied.app().seen());
    }

    @Test
    void aRequestHeadThatTrickles408sAndCloses() throws Exception {
        try (TestProxy strict = TestProxy.start(ProxySettings.defaults().withRequestLimits(Duration.ofMillis(300), 0));
             RawHttp client = new RawHttp(strict.address())) {
            strict.switchTo(proxied.app().target());
            client.send("GET / HTTP/1.1\r\nHo");
            Thread.sleep(150);     // deliberate: the client trickles its head
            client.send("st: a\r\nX-Slow: ");      // still trickling, never finishing
            RawHttp.Response r = client.read();
            assertEquals(408, r.status());
            assertTrue(client.closedByPeer());
        }
        assertEquals(0, proxied.app().requests());
    }

    @Test
    void aBodyOverTheLimit413sWhetherItsLengthIsDeclaredOrNot() throws Exception {
        try (TestProxy limited = TestProxy.start(ProxySettings.defaults().withRequestLimits(Duration.ofSeconds(10), 10))) {
            limited.switchTo(proxied.app().target());
            try (RawHttp client = new RawHttp(limited.address())) {
                RawHttp.Response r = client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n"
                        + "hello world").read();
                assertEquals(413, r.status());
                assertTrue(client.closedByPeer());
            }
            assertEquals(0, proxied.app().requests(), "a declared length over the limit never reaches the backend");
            try (RawHttp client = new RawHttp(limited.address())) {
                RawHttp.Response r = client.send("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n").read();
                assertEquals(413, r.status());
                assertTrue(client.closedByPeer());
            }
            try (RawHttp client = new RawHttp(limited.address())) {
                assertEquals("5", client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
                        .read().body());
            }
        }
    }

    @Test
    void chunkedInAnyCaseIsStillChunked() throws Exception {
        try (RawHttp client = new RawHttp(proxied.proxy().address())) {
            RawHttp.Response r = client.send("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
                    + "3\r\nabc\r\n0\r\n\r\n").read();
            assertEquals("3", r.body());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("ambiguousResponses")
    void anAmbiguousResponseIsA502AndItsConnectionIsNotReused(String what, String framing) throws Exception {
        try (ScriptedBackend liar = ScriptedBackend.start((s, b) -> {
                while (ScriptedBackend.readHead(s.getInputStream()) != null) {
                    ScriptedBackend.write(s, "HTTP/1.1 200 OK\r\n" + framing + "\r\n\r\n2\r\nok\r\n0\r\n\r\n");
                }
            });
             RawHttp client = new RawHttp(proxied.proxy().address())) {
            proxied.proxy().switchTo(liar.target());
            assertEquals(502, client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().status());
            assertEquals(502, client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().status());
            assertEquals(2, liar.connections(), "each bad response cost its connection");
        }
    }
}
