package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProxyFailureTest {
    private final HttpClient http = TestHttp.client();

    private HttpResponse<String> get(TestProxy proxy, String path) throws Exception {
        return http.send(TestHttp.request(proxy.uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A port nothing listens on, outside the ephemeral range so no outgoing connection takes it meanwhile. */
    private static int freePort() throws IOException {
        return TestPorts.free();
    }

    @Test
    void answers503BeforeAnyTargetIsSet() throws Exception {
        try (TestProxy proxy = TestProxy.start()) {
            assertEquals(503, get(proxy, "/").statusCode());
        }
    }

    @Test
    void answers502WhenTheBackendRefusesConnections() throws Exception {
        try (TestProxy proxy = TestProxy.start()) {
            proxy.switchTo(new Target("127.0.0.1", freePort()));
            HttpResponse<String> r = get(proxy, "/");
            assertEquals(502, r.statusCode());
            assertEquals("502 Bad Gateway\n", r.body());
        }
    }

    @Test
    void answers504WhenTheBackendNeverAnswers() throws Exception {
        try (ScriptedBackend silent = ScriptedBackend.start((s, b) -> Thread.sleep(30_000));     // deliberate: never answers
             TestProxy proxy = TestProxy.start(ProxySettings.defaults().withResponseTimeout(Duration.ofMillis(300)))) {
            proxy.switchTo(silent.target());
            assertEquals(504, get(proxy, "/").statusCode());
        }
    }

    @Test
    void answers504WhenTheBackendStallsAfterTakingPartOfTheBody() throws Exception {
        try (ScriptedBackend stalls = ScriptedBackend.start((s, b) -> {
                ScriptedBackend.readHead(s.getInputStream());
                Thread.sleep(30_000);   // deliberate: stalls, never reading the rest
            });
             TestProxy proxy = TestProxy.start(ProxySettings.defaults().withResponseTimeout(Duration.ofMillis(300)));
             RawHttp raw = new RawHttp(proxy.address())) {
            proxy.switchTo(stalls.target());
            raw.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab");
            Thread.sleep(100);      // deliberate: the rest of the body comes later
            raw.send("cd");
            assertEquals(504, raw.read().status());
        }
    }

    @Test
    void closesAClientConnectionIdleLongerThanTheClientIdleTimeout() throws Exception {
        try (TestBackend app = TestBackend.start("app");
             // 1 s: the timeout counts from the connect, which comes before the switch
             TestProxy proxy = TestProxy.start(ProxySettings.defaults().withClientIdleTimeout(Duration.ofSeconds(1)));
             RawHttp raw = new RawHttp(proxy.address())) {
            proxy.switchTo(app.target());
            assertEquals("app", raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
            assertTrue(raw.closedByPeer(), "closed after the idle timeout");
        }
    }

    @Test
    void keepsABusyClientConnectionPastTheClientIdleTimeout() throws Exception {
        try (TestBackend app = TestBackend.start("app");
             TestProxy proxy = TestProxy.start(ProxySettings.defaults().withClientIdleTimeout(Duration.ofSeconds(1)));
             RawHttp raw = new RawHttp(proxy.address())) {
            proxy.switchTo(app.target());
            assertEquals("app", raw.send("GET /slow?ms=3000 HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
        }
    }

    @Test
    void closesParkedBackendConnectionsAfterTheBackendIdleTimeout() throws Exception {
        try (TestBackend app = TestBackend.start("app");
             // 2 s: the check that a connection is parked surely comes before it
             TestProxy proxy = TestProxy.start(ProxySettings.defaults().withBackendIdleTimeout(Duration.ofSeconds(2)))) {
            proxy.switchTo(app.target());
            assertEquals("app", get(proxy, "/").body());
            Backend backend = proxy.server().router().active();
            assertTrue(backend.openConnections() > 0);
            SwitchAndDrainTest.awaitNoConnections(backend);
            assertEquals("app", get(proxy, "/").body());
        }
    }

    @Test
    void answers502WhenTheBackendResetsBeforeResponding() throws Exception {
        try (ScriptedBackend rude = ScriptedBackend.start((s, b) -> {
                ScriptedBackend.readHead(s.getInputStream());
                s.setSoLinger(true, 0);     // RST instead of FIN
                s.close();
            });
             TestProxy proxy = TestProxy.start()) {
            proxy.switchTo(rude.target());
            assertEquals(502, get(proxy, "/").statusCode());
        }
    }

    @Test
    void answers502ForAMalformedResponse() throws Exception {
        try (ScriptedBackend garbage = ScriptedBackend.start((s, b) -> {
                ScriptedBackend.readHead(s.getInputStream());
                ScriptedBackend.write(s, "HTTP/1.1 two hundred OK\r\nContent-Length: 2\r\n\r\nok");
                Thread.sleep(1000);     // deliberate: keeps the connection open after the garbage
            });
             TestProxy proxy = TestProxy.start()) {
            proxy.switchTo(garbage.target());
            assertEquals(502, get(proxy, "/").statusCode());
        }
    }

    @Test
    void keepsTheClientConnectionAfterAnErrorResponse() throws Exception {
        try (TestProxy proxy = TestProxy.start(); RawHttp raw = new RawHttp(proxy.address())) {
            proxy.switchTo(new Target("127.0.0.1", freePort()));
            assertEquals(502, raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().status());
            try (TestBackend app = TestBackend.start("green")) {
                proxy.switchTo(app.target());
                assertEquals("green", raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
            }
        }
    }

    @Test
    void retriesOnAFreshConnectionWhenThePooledOneWasClosedByTheBackend() throws Exception {
        // answers one request per connection, keep-alive implied, then closes without notice
        try (ScriptedBackend oneShot = ScriptedBackend.start((s, b) -> {
                if (ScriptedBackend.readHead(s.getInputStream()) != null) {
                    ScriptedBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                }
            });
             TestProxy proxy = TestProxy.start(); RawHttp raw = new RawHttp(proxy.address())) {
            proxy.switchTo(oneShot.target());
            for (int i = 0; i < 200; i++) {
                RawHttp.Response r = raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read();
                assertEquals(200, r.status(), "request " + i);
                if (i % 50 == 0) {
                    Thread.sleep(20);   // deliberate: let the close land while the connection is parked, too
                }
            }
            assertTrue(oneShot.connections() >= 200);
        }
    }

    @Test
    void retriesWhenThePooledConnectionDiesAsTheRequestIsSent() throws Exception {
        // keeps the connection open after the first response, but resets it when the next request arrives
        try (ScriptedBackend treacherous = ScriptedBackend.start((s, b) -> {
                var in = s.getInputStream();
                if (ScriptedBackend.readHead(in) == null) {
                    return;
                }
                ScriptedBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
                if (ScriptedBackend.readHead(in) != null) {
                    s.setSoLinger(true, 0);
                }
            });
             TestProxy proxy = TestProxy.start(); RawHttp raw = new RawHttp(proxy.address())) {
            proxy.switchTo(treacherous.target());
            for (int i = 0; i < 20; i++) {
                assertEquals(200, raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().status(), "request " + i);
            }
        }
    }

    @Test
    void cutsTheClientConnectionWhenTheBackendDiesMidResponse() throws Exception {
        try (ScriptedBackend dying = ScriptedBackend.start((s, b) -> {
                ScriptedBackend.readHead(s.getInputStream());
                ScriptedBackend.write(s, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial");
                Thread.sleep(100);      // deliberate: dies after the partial answer went out
                s.setSoLinger(true, 0);
            });
             TestBackend healthy = TestBackend.start("fine");
             TestProxy proxy = TestProxy.start()) {
            proxy.switchTo(dying.target());
            try (RawHttp raw = new RawHttp(proxy.address())) {
                assertThrows(IOException.class, () -> raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read());
            }
            proxy.switchTo(healthy.target());
            assertEquals("fine", get(proxy, "/").body());
        }
    }
}
