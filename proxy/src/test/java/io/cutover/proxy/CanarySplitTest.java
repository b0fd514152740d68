package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CanarySplitTest {
    private TestBackend stable;
    private TestBackend candidate;
    private TestProxy proxy;
    private AppRouter app;
    private Backend canaryBackend;

    @BeforeEach
    void start() throws Exception {
        stable = TestBackend.start("stable");
        candidate = TestBackend.start("canary");
        // loopback is the load balancer: its X-Forwarded-For names the client
        proxy = TestProxy.start(ProxySettings.defaults().withTrustedProxies(TrustedProxies.parse(List.of("127.0.0.0/8"))));
        proxy.switchTo(stable.target());
        app = proxy.server().router().app(Router.DEFAULT_APP);
        canaryBackend = proxy.server().newBackend(Router.DEFAULT_APP, candidate.target(),
                candidate.target().resolve(), "canary");
    }

    @AfterEach
    void stop() {
        proxy.close();
        stable.close();
        candidate.close();
    }

    /** The app's key, the same across shares (as the control plane's is, from its state directory). */
    private final CanaryCookie cookie = CanaryCookie.random(Router.DEFAULT_APP);

    private void share(int percent, Canary.Allow... allow) {
        app.canary(new Canary(canaryBackend, percent * 100, List.of(allow), cookie));
    }

    private static RawHttp.Response get(RawHttp raw, String extraHeaders) throws Exception {
        return raw.send("GET / HTTP/1.1\r\nHost: shop\r\n" + extraHeaders + "\r\n").read();
    }

    /** Over 4,000 clients with no cookie (each its own address) the canary's share is within five standard deviations. */
    @org.junit.jupiter.api.Timeout(180)     // thousands of connections, with paranoid leak detection
    @Test
    void clientsWithoutCookiesAreSplitByTheirAddressInTheShareAsked() throws Exception {
        int clients = 4000;
        for (int percent : new int[] {10, 50}) {
            share(percent);
            int toCanary = 0;
            try (RawHttp raw = new RawHttp(proxy.address())) {
                for (int i = 0; i < clients; i++) {
                    String body = get(raw, "X-Forwarded-For: 10.1." + (i / 250) + "." + (i % 250) + "\r\n").body();
                    toCanary += body.equals("canary") ? 1 : 0;
                }
            }
            double p = percent / 100.0;
            double expected = clients * p;
            double bound = 5 * Math.sqrt(clients * p * (1 - p));
            assertTrue(Math.abs(toCanary - expected) <= bound,
                    toCanary + " of " + clients + " went to the canary at " + percent + "%");
        }
    }

    @Test
    void aClientKeepsItsSideWhileTheShareHoldsAndMovesOnlyToTheCanaryAsItGrows() throws Exception {
        share(25);
        try (RawHttp raw = new RawHttp(proxy.address())) {
            for (int client = 0; client < 40; client++) {
                String xff = "X-Forwarded-For: 10.2.0." + client + "\r\n";
                RawHttp.Response first = get(raw, xff);
                String cookie = first.header("set-cookie");
                assertNotNull(cookie, "the first answer gives the client its bucket");
                assertTrue(cookie.startsWith(Canary.COOKIE + "=") && cookie.contains("HttpOnly"), cookie);
                String jar = "Cookie: theme=dark; " + cookie.substring(0, cookie.indexOf(';')) + "\r\n";
                // from another address (a phone changing networks) the cookie still decides
                for (int i = 0; i < 5; i++) {
                    RawHttp.Response again = get(raw, jar + "X-Forwarded-For: 192.0.2." + i + "\r\n");
                    assertEquals(first.body(), again.body(), "client " + client + " stays on its side");
                    assertNull(again.header("set-cookie"), "a client with its cookie is not given another");
                }
                share(60);
                String after = get(raw, jar).body();
                if (first.body().equals("canary")) {
                    assertEquals("canary", after, "a canary client stays on the canary as the share grows");
                }
                share(25);
            }
        }
        assertTrue(candidate.requests() > 0 && stable.requests() > 0, "both sides were used");
    }

    @Test
    void aCookieBucketBelowTheShareGoesToTheCanaryAndOneAboveStays() throws Exception {
        share(10);
        try (RawHttp raw = new RawHttp(proxy.address())) {
            assertEquals("canary", get(raw, "Cookie: cutover-canary=" + cookie.value(999) + "\r\n").body());
            assertEquals("stable", get(raw, "Cookie: cutover-canary=" + cookie.value(1000) + "\r\n").body());
            RawHttp.Response bogus = get(raw, "Cookie: cutover-canary=abc\r\n");
            assertNotNull(bogus.header("set-cookie"), "a cookie that names no bucket is replaced");
        }
    }

    @Test
    void aForgedOrUnsignedCookieIsIgnoredAndReplacedWithASignedOne() throws Exception {
        share(10);
        String address = null;
        for (int i = 1; address == null; i++) {     // a client whose own bucket is on the stable side
            String a = "198.51.100." + i;
            address = Canary.bucketOf(a) >= 1000 ? a : null;
        }
        String signed = cookie.value(Canary.bucketOf(address));
        String otherKeys = CanaryCookie.random(Router.DEFAULT_APP).value(0);
        String tampered = cookie.value(5000).replace("5000.", "0.");
        try (RawHttp raw = new RawHttp(proxy.address())) {
            for (String forged : List.of("0", "0." + "A".repeat(22), otherKeys, tampered)) {
                RawHttp.Response r = get(raw, "X-Forwarded-For: " + address + "\r\nCookie: cutover-canary=" + forged + "\r\n");
                assertEquals("stable", r.body(), "the forged cookie " + forged + " does not pick the canary");
                assertTrue(r.header("set-cookie").startsWith(Canary.COOKIE + "=" + signed + ";"),
                        "replaced with the client's own signed bucket: " + r.header("set-cookie"));
            }
            RawHttp.Response honoured = get(raw, "X-Forwarded-For: " + address + "\r\nCookie: cutover-canary="
                    + cookie.value(0) + "\r\n");
            assertEquals("canary", honoured.body(), "a cookie signed with the app's key is honoured");
            assertNull(honoured.header("set-cookie"), "and kept");
        }
    }

    @Test
    void anAllowedHeaderOrCookieValueAlwaysGoesToTheCanaryEvenAtZeroPercent() throws Exception {
        share(0, new Canary.Allow(false, "X-Canary", "staff"), new Canary.Allow(true, "beta", "yes"));
        try (RawHttp raw = new RawHttp(proxy.address())) {
            assertEquals("canary", get(raw, "x-canary: staff\r\n").body());
            assertEquals("canary", get(raw, "Cookie: a=1; beta=yes\r\n").body());
            assertEquals("stable", get(raw, "X-Canary: someone\r\n").body());
            assertEquals("stable", get(raw, "Cookie: beta=no\r\n").body());
        }
    }

    @Test
    void withoutACanaryNoCookieIsSetAndEndingOneSendsEveryoneBackInOneFlip() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.address())) {
            assertNull(get(raw, "").header("set-cookie"));
            share(100);
            assertEquals("canary", get(raw, "").body());
            Canary was = app.canary(null);
            assertSame(canaryBackend, was.backend());
            assertEquals("stable", get(raw, "Cookie: cutover-canary=0\r\n").body());
        }
    }

    @Test
    void promotionMakesTheCanaryTheActiveVersionAndHandsBackTheOldOneToDrain() throws Exception {
        share(10);
        Backend old = app.promote();
        assertEquals(stable.target(), old.target());
        assertSame(canaryBackend, app.active());
        assertNull(app.canary());
        try (RawHttp raw = new RawHttp(proxy.address())) {
            for (int i = 0; i < 20; i++) {
                assertEquals("canary", get(raw, "Cookie: cutover-canary=" + cookie.value(9999) + "\r\n").body());
            }
        }
    }

    @Test
    void eachVersionCountsItsRequestsErrorsAndLatency() throws Exception {
        share(100);
        candidate.healthStatus(500);
        try (RawHttp raw = new RawHttp(proxy.address())) {
            for (int i = 0; i < 10; i++) {
                raw.send("GET /health HTTP/1.1\r\nHost: shop\r\n\r\n").read();
                get(raw, "");
            }
        }
        RequestStats.Snapshot s = canaryBackend.stats().snapshot();
        assertEquals(20, s.requests());
        assertEquals(10, s.errors());
        assertEquals(0.5, s.errorRate());
        assertTrue(s.quantileMicros(0.99) > 0);
        assertEquals(0, app.active().stats().snapshot().requests());
    }
}
