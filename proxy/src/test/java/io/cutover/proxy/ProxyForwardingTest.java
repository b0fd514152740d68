package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProxyForwardingTest {
    private final HttpClient http = TestHttp.client();
    private TestBackend app;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        app = TestBackend.start("blue");
        proxy = TestProxy.start();
        proxy.switchTo(app.target());
    }

    @AfterEach
    void stop() {
        proxy.close();
        app.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(TestHttp.request(proxy.uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void forwardsRequestsAndResponsesWithTheirBodies() throws Exception {
        HttpResponse<String> get = get("/");
        assertEquals(200, get.statusCode());
        assertEquals("blue", get.body());

        HttpResponse<String> post = http.send(TestHttp.request(proxy.uri("/upload"))
                .POST(HttpRequest.BodyPublishers.ofString("x".repeat(100_000))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("100000", post.body());
    }

    @Test
    void forwardsABodyThatArrivesInPiecesWithPauses() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.address())) {
            raw.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n");
            Thread.sleep(100);
            raw.send("x".repeat(50_000));
            Thread.sleep(100);
            raw.send("x".repeat(50_000));
            assertEquals("100000", raw.read().body());
        }
    }

    @Test
    void forwardsAChunkedRequestBody() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.address())) {
            raw.send("POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n");
            Thread.sleep(50);
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
        try (RawHttp raw = new RawHttp(proxy.address())) {
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
            behindLb.switchTo(app.target());
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
            behindLb.switchTo(app.target());
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

    @Test
    void removesHopByHopRequestHeadersIncludingThoseNamedInConnection() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.address())) {
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
        try (RawHttp raw = new RawHttp(proxy.address())) {
            RawHttp.Response r = raw.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: a b, , c@d, \"q\"\r\n\r\n").read();
            assertEquals(200, r.status());
            assertEquals("blue", raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
        }
        assertEquals(0, proxy.server().router().active().inFlight());
    }

    @Test
    void connectionHeaderCannotStripTheBodyFraming() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.address())) {
            RawHttp.Response r = raw.send("POST /upload HTTP/1.1\r\nHost: a\r\nConnection: Content-Length\r\n"
                    + "Content-Length: 5\r\n\r\nhello").read();
            assertEquals("5", r.body());
            assertEquals("blue", raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
        }
    }

    @Test
    void servesManyRequestsOnOneKeepAliveConnection() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.address())) {
            for (int i = 0; i < 50; i++) {
                RawHttp.Response r = raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read();
                assertEquals(200, r.status());
                assertNull(r.header("connection"));
            }
        }
    }

    @Test
    void answersPipelinedRequestsInOrder() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.address())) {
            raw.send("GET /slow?ms=200 HTTP/1.1\r\nHost: a\r\n\r\nGET /headers HTTP/1.1\r\nHost: b\r\n\r\n"
                    + "POST /upload HTTP/1.1\r\nHost: c\r\nContent-Length: 3\r\n\r\nabc");
            assertEquals("blue", raw.read().body());
            assertTrue(raw.read().body().contains("host: b\n"));
            assertEquals("3", raw.read().body());
        }
    }

    @Test
    void answersAClientThatShutsDownItsSendingSideAfterTheRequest() throws Exception {
        try (java.net.Socket s = new java.net.Socket(proxy.address().getAddress(), proxy.address().getPort())) {
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
        try (RawHttp raw = new RawHttp(proxy.address())) {
            RawHttp.Response r = raw.send("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").read();
            assertEquals("close", r.header("connection"));
            assertTrue(raw.closedByPeer());
        }
    }

    @Test
    void givesAnHttp10ClientAChunkedBodyCloseDelimited() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.address())) {
            RawHttp.Response r = raw.send("GET /stream?chunks=3&ms=1 HTTP/1.0\r\n\r\n").read();
            assertEquals("close", r.header("connection"));
            assertNull(r.header("transfer-encoding"));
            assertEquals("blue 0\nblue 1\nblue 2\n", r.body());
        }
    }

    @Test
    void keepsAnHttp10KeepAliveConnectionOpen() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.address())) {
            for (int i = 0; i < 3; i++) {
                RawHttp.Response r = raw.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").read();
                assertEquals("keep-alive", r.header("connection"));
                assertEquals("blue", r.body());
            }
        }
    }

    @Test
    void answersHeadRequestsWithoutABody() throws Exception {
        HttpResponse<String> r = http.send(TestHttp.request(proxy.uri("/"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        assertEquals("", r.body());
        assertEquals("blue", get("/").body());
    }

    @Test
    void passesExpectContinueThrough() throws Exception {
        HttpResponse<String> r = http.send(TestHttp.request(URI.create(proxy.uri("/upload").toString()))
                .expectContinue(true).POST(HttpRequest.BodyPublishers.ofString("12345")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals("5", r.body());
    }
}
