package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProxyForwardingTest {
    private final HttpClient http = TestHttp.client();
    @RegisterExtension
    final ProxiedApp proxied = new ProxiedApp("blue", ProxySettings.defaults());

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(TestHttp.request(proxied.proxy().uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void forwardsRequestsAndResponsesWithTheirBodies() throws Exception {
        HttpResponse<String> get = get("/");
        assertEquals(200, get.statusCode());
        assertEquals("blue", get.body());

        HttpResponse<String> post = http.send(TestHttp.request(proxied.proxy().uri("/upload"))
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(100_000))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("100000", post.body());
    }

    @Test
    void forwardsABodyThatArrivesInPiecesWithPauses() throws Exception {
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            raw.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n");
            Thread.sleep(100);     // deliberate: the body arrives in pieces, with pauses
            raw.send("x".repeat(50_000));
            Thread.sleep(100);
            raw.send("x".repeat(50_000));
            assertEquals("100000", raw.read().body());
        }
    }

    @Test
    void forwardsAChunkedRequestBody() throws Exception {
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            raw.send("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n");
            Thread.sleep(50);     // deliberate: the chunks arrive apart
            raw.send("6\r\n world\r\n0\r\n\r\n");
            assertEquals("11", raw.read().body());
        }
    }

    @Test
    void streamsAChunkedResponseThrough() throws Exception {
        HttpResponse<String> r = get("/stream?chunks=4&ms=10");
        assertEquals("blue 0\nblue 1\nblue 2\nblue 3\n", r.body());
    }

    @Test
    void replacesTheForwardingHeadersOfAnUntrustedClientAndKeepsHost() throws Exception {
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            String seen = raw.send("GET /headers HTTP/1.1\r\nHost: shop.example\r\n"
                    + "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\nX-Real-IP: 1.1.1.1\r\n"
                    + "X-Forwarded-Host: evil.example\r\n\r\n").read().body();
            assertTrue(seen.contains("host: shop.example\n"), seen);
            assertTrue(seen.contains("x-forwarded-for: 127.0.0.1\n"), seen);
            assertTrue(seen.contains("x-real-ip: 127.0.0.1\n"), seen);
            assertTrue(seen.contains("x-forwarded-host: shop.example\n"), seen);
            assertTrue(seen.contains("x-forwarded-proto: http\n"), seen);
        }
    }

    @Test
    void keepsAndExtendsTheForwardingHeadersOfATrustedLoadBalancer() throws Exception {
        try (TestProxy behindLb = TestProxy.start(ProxySettings.defaults()
                .withTrustedProxies(TrustedProxies.parse(java.util.List.of("127.0.0.0/8"))));
             RawHttp raw = new RawHttp(behindLb.address())) {
            behindLb.switchTo(proxied.app().target());
            String seen = raw.send("GET /headers HTTP/1.1\r\nHost: internal:8080\r\n"
                    + "X-Forwarded-For: 198.51.100.9, 203.0.113.7\r\nX-Forwarded-Proto: https\r\n"
                    + "X-Forwarded-Host: shop.example\r\n\r\n").read().body();
            assertTrue(seen.contains("x-forwarded-for: 198.51.100.9, 203.0.113.7, 127.0.0.1\n"), seen);
            assertTrue(seen.contains("x-real-ip: 203.0.113.7\n"), "rightmost untrusted hop: " + seen);
            assertTrue(seen.contains("x-forwarded-proto: https\n"), seen);
            assertTrue(seen.contains("x-forwarded-host: shop.example\n"), seen);
            assertTrue(seen.contains("host: internal:8080\n"), seen);
        }
    }

    @Test
    void emptyForwardingHeadersFromATrustedLoadBalancerCountAsAbsent() throws Exception {
        try (TestProxy behindLb = TestProxy.start(ProxySettings.defaults()
                .withTrustedProxies(TrustedProxies.parse(java.util.List.of("127.0.0.0/8"))));
             RawHttp raw = new RawHttp(behindLb.address())) {
            behindLb.switchTo(proxied.app().target());
            String one = raw.send("GET /headers HTTP/1.1\r\nHost: internal:8080\r\nX-Forwarded-For: \r\n"
                    + "X-Forwarded-Proto:\r\nX-Forwarded-Host: \r\n\r\n").read().body();
            assertTrue(one.contains("x-forwarded-for: 127.0.0.1\n"), one);
            assertTrue(one.contains("x-real-ip: 127.0.0.1\n"), one);
            assertTrue(one.contains("x-forwarded-proto: http\n"), one);
            assertTrue(one.contains("x-forwarded-host: internal:8080\n"), one);
            String several = raw.send("GET /headers HTTP/1.1\r\nHost: internal:8080\r\nX-Forwarded-For:\r\n"
                    + "X-Forwarded-For: \r\nX-Forwarded-Proto:\r\nX-Forwarded-Proto:\r\n\r\n").read().body();
            assertTrue(several.contains("x-forwarded-for: 127.0.0.1\n"), several);
            assertTrue(several.contains("x-forwarded-proto: http\n"), several);
        }
    }

    private TestProxy behindLoopbackLb() throws Exception {
        TestProxy behindLb = TestProxy.start(ProxySettings.defaults()
                .withTrustedProxies(TrustedProxies.parse(java.util.List.of("127.0.0.0/8"))));
        behindLb.switchTo(proxied.app().target());
        return behindLb;
    }

    /** Whether the echoed headers have a line for {@code name} (lower case), whatever its value. */
    private static boolean hasHeader(String seen, String name) {
        return seen.startsWith(name + ":") || seen.contains("\n" + name + ":");
    }

    @Test
    void anAbsoluteFormRequestReachesTheAppWithTheHostOfItsTarget() throws Exception {
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            String seen = raw.send("GET http://a.test:8080/headers HTTP/1.1\r\nHost: evil.example\r\n\r\n").read().body();
            assertTrue(seen.contains("host: a.test:8080\n"), seen);
            assertTrue(seen.contains("x-forwarded-host: a.test:8080\n"), seen);
            assertTrue(seen.contains("forwarded: for=127.0.0.1;proto=http;host=\"a.test:8080\"\n"), seen);
            assertFalse(seen.contains("evil.example"), seen);
            String userinfo = raw.send("GET http://user:pw@b.test/headers HTTP/1.1\r\nHost: evil.example\r\n\r\n")
                    .read().body();
            assertTrue(userinfo.contains("host: b.test\n"), "the userinfo is not the host: " + userinfo);
            assertFalse(userinfo.contains("evil.example") || userinfo.contains("pw"), userinfo);
        }
    }

    @Test
    void anAbsoluteFormRequestFromATrustedLoadBalancerKeepsItsForwardedHost() throws Exception {
        try (TestProxy behindLb = behindLoopbackLb(); RawHttp raw = new RawHttp(behindLb.address())) {
            String seen = raw.send("GET http://internal:8080/headers HTTP/1.1\r\nHost: other\r\n"
                    + "X-Forwarded-Host: shop.example\r\n\r\n").read().body();
            assertTrue(seen.contains("host: internal:8080\n"), seen);
            assertTrue(seen.contains("x-forwarded-host: shop.example\n"), seen);
            assertFalse(seen.contains("other"), seen);
        }
    }

    @Test
    void anUntrustedClientGetsCutoversOwnForwardedHeaderWithTheHostQuoted() throws Exception {
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            String seen = raw.send("GET /headers HTTP/1.1\r\nHost: shop.example\r\n"
                    + "Forwarded: for=6.6.6.6;proto=https\r\n\r\n").read().body();
            assertTrue(seen.contains("forwarded: for=127.0.0.1;proto=http;host=\"shop.example\"\n"), seen);
            assertFalse(seen.contains("6.6.6.6"), seen);
            String quoted = raw.send("GET /headers HTTP/1.1\r\nHost: a\";for=6.6.6.6;x=\"\\\r\n\r\n").read().body();
            assertTrue(quoted.contains("forwarded: for=127.0.0.1;proto=http;host=\"a\\\";for=6.6.6.6;x=\\\"\\\\\"\n"),
                    "a Host cannot add Forwarded parameters: " + quoted);
        }
    }

    @Test
    void aTrustedLoadBalancersForwardedHeaderPassesAsItSentIt() throws Exception {
        try (TestProxy behindLb = behindLoopbackLb(); RawHttp raw = new RawHttp(behindLb.address())) {
            String seen = raw.send("GET /headers HTTP/1.1\r\nHost: internal\r\n"
                    + "Forwarded: for=203.0.113.7;proto=https;host=shop.example\r\n\r\n").read().body();
            assertTrue(seen.contains("forwarded: for=203.0.113.7;proto=https;host=shop.example\n"), seen);
            String none = raw.send("GET /headers HTTP/1.1\r\nHost: internal\r\n\r\n").read().body();
            assertFalse(hasHeader(none, "forwarded"), "nothing added when the balancer sent none: " + none);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"X-Forwarded-Port", "X-Forwarded-Prefix", "X-Forwarded-Ssl", "X-Forwarded-Scheme",
        "X-Client-IP", "True-Client-IP", "Forwarded"})
    void aForwardingHeaderIsDroppedFromAnUntrustedClientAndKeptFromATrustedOne(String name) throws Exception {
        String request = "GET /headers HTTP/1.1\r\nHost: a\r\n" + name + ": SPOOF-1\r\n\r\n";
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            String seen = raw.send(request).read().body();
            assertFalse(seen.contains("SPOOF"), name + " from an untrusted client: " + seen);
        }
        try (TestProxy behindLb = behindLoopbackLb(); RawHttp raw = new RawHttp(behindLb.address())) {
            String seen = raw.send(request).read().body();
            assertTrue(seen.contains(name.toLowerCase(java.util.Locale.ROOT) + ": SPOOF-1\n"),
                    name + " from a trusted proxy: " + seen);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Forwarded", "X-Forwarded-Port", "X-Forwarded-Prefix", "X-Forwarded-Ssl",
        "X-Forwarded-Scheme", "X-Client-IP", "True-Client-IP", "X-Original-URL", "X-Rewrite-URL",
        "X-Cutover-Shadow", "X-Cutover-Warm-Up"})
    void everyLineOfAForwardingHeaderInAnyCaseIsDroppedFromAnUntrustedClient(String name) throws Exception {
        String odd = name.toUpperCase(java.util.Locale.ROOT);
        String mixed = name.toLowerCase(java.util.Locale.ROOT).replace('r', 'R');
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            String seen = raw.send("GET /headers HTTP/1.1\r\nHost: a\r\n" + odd + ": SPOOF-1\r\nX-Kept: yes\r\n"
                    + mixed + ": SPOOF-2\r\n" + name + ": SPOOF-3\r\n\r\n").read().body();
            assertFalse(seen.contains("SPOOF"), seen);
            assertTrue(seen.contains("x-kept: yes\n"), seen);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"X-Original-URL", "X-Rewrite-URL", "X-Cutover-Shadow", "X-Cutover-Warm-Up"})
    void aPathOverrideOrCutoverMarkIsDroppedEvenFromATrustedProxy(String name) throws Exception {
        try (TestProxy behindLb = behindLoopbackLb(); RawHttp raw = new RawHttp(behindLb.address())) {
            String seen = raw.send("GET /headers HTTP/1.1\r\nHost: a\r\n" + name + ": /admin\r\n"
                    + name.toUpperCase(java.util.Locale.ROOT) + ": /admin\r\n\r\n").read().body();
            assertFalse(seen.contains("/admin"), seen);
        }
    }

    @Test
    void aForwardedForHopThatIsNotAnAddressNeverBecomesTheClient() throws Exception {
        java.util.List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (TestProxy behindLb = behindLoopbackLb(); RawHttp raw = new RawHttp(behindLb.address())) {
            behindLb.server().accessLog(e -> logged.add(e.client()));
            for (String chain : new String[] {"evil.example", "203.0.113.7, unknown", "<script>, 127.0.0.5",
                "203.0.113.7:443", "203.0.113.7, 010.0.0.1", "1.2.3.4, " + "1".repeat(60), "fe80::1%eth0"}) {
                String seen = raw.send("GET /headers HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: " + chain + "\r\n\r\n")
                        .read().body();
                assertTrue(seen.contains("x-real-ip: 127.0.0.1\n"), chain + ": " + seen);
                assertTrue(seen.contains("x-forwarded-for: " + chain + ", 127.0.0.1\n"), "kept as sent: " + seen);
            }
            String right = raw.send("GET /headers HTTP/1.1\r\nHost: a\r\n"
                    + "X-Forwarded-For: garbage, 198.51.100.9, 127.0.0.7\r\n\r\n").read().body();
            assertTrue(right.contains("x-real-ip: 198.51.100.9\n"), "an address right of the garbage counts: " + right);
            String bracketed = raw.send("GET /headers HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: [2001:db8::7]\r\n"
                    + "X-Forwarded-For: 127.0.0.9\r\n\r\n").read().body();
            assertTrue(bracketed.contains("x-real-ip: 2001:db8::7\n"), bracketed);
            Eventually.value(Duration.ofSeconds(10), "9 access log lines", logged::size, n -> n >= 9);
            assertEquals(java.util.List.of("127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1",
                    "127.0.0.1", "127.0.0.1", "198.51.100.9", "2001:db8::7"), logged, "the access log's client");
        }
    }

    @Test
    void removesHopByHopRequestHeadersIncludingThoseNamedInConnection() throws Exception {
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            String seen = raw.send("GET /headers HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Secret\r\n"
                    + "X-Secret: 1\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\n"
                    + "Upgrade: websocket\r\nX-Kept: yes\r\n\r\n").read().body();
            for (String gone : new String[] {"x-secret", "keep-alive", "proxy-connection", "te", "upgrade"}) {
                assertFalse(seen.contains("\n" + gone + ":") || seen.startsWith(gone + ":"), gone + " in " + seen);
            }
            assertTrue(seen.contains("x-kept: yes\n"), seen);
        }
    }

    @Test
    void ignoresConnectionTokensThatAreNotHeaderNames() throws Exception {
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            RawHttp.Response r = raw.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: a b, , c@d, \"q\"\r\n\r\n").read();
            assertEquals(200, r.status());
            assertEquals("blue", raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
        }
        assertEquals(0, proxied.proxy().server().router().active().inFlight());
    }

    @Test
    void connectionHeaderCannotStripTheBodyFraming() throws Exception {
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            RawHttp.Response r = raw.send("POST /upload HTTP/1.1\r\nHost: a\r\nConnection: Content-Length\r\n"
                    + "Content-Length: 5\r\n\r\nhello").read();
            assertEquals("5", r.body());
            assertEquals("blue", raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
        }
    }

    @Test
    void servesManyRequestsOnOneKeepAliveConnection() throws Exception {
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            for (int i = 0; i < 50; i++) {
                RawHttp.Response r = raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read();
                assertEquals(200, r.status());
                assertNull(r.header("connection"));
            }
        }
    }

    @Test
    void answersPipelinedRequestsInOrder() throws Exception {
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            raw.send("GET /slow?ms=200 HTTP/1.1\r\nHost: a\r\n\r\nGET /headers HTTP/1.1\r\nHost: b\r\n\r\n"
                    + "POST /upload HTTP/1.1\r\nHost: c\r\nContent-Length: 3\r\n\r\nabc");
            assertEquals("blue", raw.read().body());
            assertTrue(raw.read().body().contains("host: b\n"));
            assertEquals("3", raw.read().body());
        }
    }

    @Test
    void answersAClientThatShutsDownItsSendingSideAfterTheRequest() throws Exception {
        java.net.InetSocketAddress address = proxied.proxy().address();
        try (java.net.Socket s = new java.net.Socket(address.getAddress(), address.getPort())) {
            s.setSoTimeout(15_000);     // a proxy that never answers fails the read, it does not hang it
            s.getOutputStream().write("GET /slow?ms=200 HTTP/1.1\r\nHost: a\r\n\r\n".getBytes());
            s.shutdownOutput();
            String answer = new String(s.getInputStream().readAllBytes());
            assertTrue(answer.startsWith("HTTP/1.1 200"), answer);
            assertTrue(answer.endsWith("blue"), answer);
        }
    }

    @Test
    void closesAfterTheResponseWhenTheClientAsksTo() throws Exception {
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            RawHttp.Response r = raw.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").read();
            assertEquals("close", r.header("connection"));
            assertTrue(raw.closedByPeer());
        }
    }

    @Test
    void givesAnHttp10ClientAChunkedBodyCloseDelimited() throws Exception {
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            RawHttp.Response r = raw.send("GET /stream?chunks=3&ms=1 HTTP/1.0\r\n\r\n").read();
            assertEquals("close", r.header("connection"));
            assertNull(r.header("transfer-encoding"));
            assertEquals("blue 0\nblue 1\nblue 2\n", r.body());
        }
    }

    @Test
    void keepsAnHttp10KeepAliveConnectionOpen() throws Exception {
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            for (int i = 0; i < 3; i++) {
                RawHttp.Response r = raw.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();
                assertEquals("keep-alive", r.header("connection"));
                assertEquals("blue", r.body());
            }
        }
    }

    @Test
    void answersHeadRequestsWithoutABody() throws Exception {
        HttpResponse<String> r = http.send(TestHttp.request(proxied.proxy().uri("/"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals("", r.body());
        assertEquals("blue", get("/").body());
    }

    @Test
    void passesExpectContinueThrough() throws Exception {
        HttpResponse<String> r = http.send(TestHttp.request(URI.create(proxied.proxy().uri("/upload").toString()))
                .expectContinue(true).POST(HttpRequest.BodyPublishers.ofString("12345")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("5", r.body());
    }
}
