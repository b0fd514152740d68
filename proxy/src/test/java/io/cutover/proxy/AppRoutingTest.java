package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AppRoutingTest {
    private TestBackend shop;
    private TestBackend api;
    private TestBackend wild;
    private TestBackend rest;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        shop = TestBackend.start("shop");
        api = TestBackend.start("api");
        wild = TestBackend.start("wild");
        rest = TestBackend.start("rest");
        proxy = TestProxy.start();
        proxy.server().router().define(List.of(
                new AppRule("shop", List.of("shop.example.com"), "/", false),
                new AppRule("api", List.of("shop.example.com"), "/api", true),
                new AppRule("wild", List.of("*.example.com"), "/", false),
                AppRule.catchAll("rest")));
        routeTo("shop", shop);
        routeTo("api", api);
        routeTo("wild", wild);
        routeTo("rest", rest);
    }

    private Backend routeTo(String app, TestBackend b) {
        return proxy.server().router().app(app).flip(
                proxy.server().newBackend(app, b.target(), b.target().resolve(), b.name()));
    }

    @AfterEach
    void stop() {
        proxy.close();
        for (TestBackend b : List.of(shop, api, wild, rest)) {
            b.close();
        }
    }

    private RawHttp.Response get(RawHttp raw, String host, String path) throws Exception {
        return raw.send("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").read();
    }

    @Test
    void anExactHostWinsOverAWildcardWhichWinsOverTheCatchAllAndThePortInHostIsIgnored() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.address())) {
            assertEquals("shop", get(raw, "shop.example.com", "/").body());
            assertEquals("shop", get(raw, "SHOP.Example.com:8080", "/cart").body());
            assertEquals("wild", get(raw, "admin.example.com", "/").body());
            assertEquals("wild", get(raw, "a.b.example.com.", "/").body());
            assertEquals("rest", get(raw, "example.com", "/").body(), "a wildcard needs a name under it");
            assertEquals("rest", get(raw, "other.test", "/").body());
            assertEquals("rest", get(raw, "127.0.0.1:8080", "/").body());
        }
    }

    @Test
    void theLongestPathPrefixWinsOnWholeSegmentsAndIsStrippedWhenAsked() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.address())) {
            assertEquals("api", get(raw, "shop.example.com", "/api/orders?id=7").body());
            assertEquals("api", get(raw, "shop.example.com", "/api").body());
            assertEquals("api", get(raw, "shop.example.com", "/api?x=1").body());
            assertEquals("shop", get(raw, "shop.example.com", "/apis").body(), "a prefix matches whole segments");
        }
        assertEquals(List.of("GET /orders?id=7", "GET /", "GET /?x=1"), api.seen());
        assertEquals(List.of("GET /apis"), shop.seen());
    }

    @Test
    void anAbsoluteFormTargetIsRoutedByItsOwnHostAndStrippedAfterIt() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.address())) {
            assertEquals("api", get(raw, "other.test", "http://shop.example.com/api/orders?id=7").body());
            assertEquals("api", get(raw, "other.test", "http://shop.example.com:8080/api").body());
            assertEquals("rest", get(raw, "shop.example.com", "http://other.test/api/x").body());
        }
        assertEquals(List.of("GET http://shop.example.com/orders?id=7", "GET http://shop.example.com:8080/"), api.seen());
    }

    @Test
    void aRequestNoAppTakesGets404WithAShortTextAndItsConnectionGoesOn() throws Exception {
        proxy.server().router().define(List.of(new AppRule("shop", List.of("shop.example.com"), "/", false)));
        try (RawHttp raw = new RawHttp(proxy.address())) {
            RawHttp.Response r = get(raw, "unknown.test", "/");
            assertEquals(404, r.status());
            assertTrue(r.body().contains("no app"), r.body());
            assertEquals("shop", get(raw, "shop.example.com", "/").body(), "the same connection goes on");
        }
        assertEquals(0, rest.requests() + wild.requests());
    }

    @Test
    void twoAppsClaimingTheSameHostAndPrefixAreRefusedNamingBothAndNothingChanges() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> proxy.server().router().define(
                List.of(new AppRule("a", List.of("x.test"), "/v1/", false),
                        new AppRule("b", List.of("X.test"), "/v1", false))));
        assertTrue(e.getMessage().contains("a and b") && e.getMessage().contains("x.test"), e.getMessage());
        assertEquals(4, proxy.server().router().rules().size(), "the table in force is untouched");
    }

    @Test
    void anAppThatStaysKeepsItsVersionAcrossANewTableAndANewAppHasNoneYet() throws Exception {
        Backend shopBackend = proxy.server().router().entry("shop").active();
        List<AppRoute> gone = proxy.server().router().define(List.of(
                new AppRule("shop", List.of("shop.example.com"), "/", false),
                AppRule.catchAll("new")));
        assertSame(shopBackend, proxy.server().router().entry("shop").active());
        assertNull(proxy.server().router().entry("new").active());
        assertEquals(3, gone.size(), "api, wild and rest are gone; their backends are the caller's to drain");
        try (RawHttp raw = new RawHttp(proxy.address())) {
            assertEquals("shop", get(raw, "shop.example.com", "/").body());
            assertEquals(503, get(raw, "other.test", "/").status(), "an app with no version yet answers 503");
        }
    }

    @Test
    void aSwitchOfOneAppLeavesTheOthersWhereTheyWere() throws Exception {
        TestBackend shop2 = TestBackend.start("shop2");
        try (RawHttp raw = new RawHttp(proxy.address())) {
            routeTo("shop", shop2);
            assertEquals("shop2", get(raw, "shop.example.com", "/").body());
            assertEquals("api", get(raw, "shop.example.com", "/api/x").body());
            assertEquals("rest", get(raw, "other.test", "/").body());
        } finally {
            shop2.close();
        }
    }

    @Test
    void maintenanceAndPauseOfOneAppDoNotTouchAnother() throws Exception {
        proxy.server().router().app("shop").maintenance(Maintenance.of(null, 30));
        proxy.server().pause("rest", java.time.Duration.ofSeconds(30), 0);     // nothing may be held: 503 at once
        try (RawHttp raw = new RawHttp(proxy.address())) {
            assertEquals(503, get(raw, "shop.example.com", "/").status());
            assertEquals("api", get(raw, "shop.example.com", "/api/x").body());
            assertEquals(503, get(raw, "other.test", "/").status());
            assertEquals("wild", get(raw, "w.example.com", "/").body());
        }
        assertEquals(0, shop.requests() + rest.requests());
    }
}
