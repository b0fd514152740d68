package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.proxy.http.HeadParser;
import io.cutover.proxy.http.RequestHead;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The sample of an app's recent GET targets that a new version is warmed up with. */
class PathSampleTest {

    private static void offer(PathSample sample, String head, int strip) throws Exception {
        RequestHead h = HeadParser.parseRequest(Unpooled.copiedBuffer(head, StandardCharsets.ISO_8859_1));
        try {
            sample.offer(h, strip);
        } finally {
            h.release();
        }
    }

    private static void get(PathSample sample, String target) throws Exception {
        offer(sample, "GET " + target + " HTTP/1.1\r\nHost: shop.example\r\n\r\n", 0);
    }

    @Test
    void theSampleNeverHoldsMoreThanItsSizeAndKeepsOnlyRecentTargets() throws Exception {
        PathSample sample = new PathSample();
        for (int i = 0; i < 10_000; i++) {
            get(sample, "/item/" + i);
        }
        List<String> targets = sample.targets();
        assertEquals(PathSample.SIZE, targets.size(), "full, and no more");
        // once full, one GET in EVERY replaces the oldest: the first SIZE are long gone
        for (String t : targets) {
            assertTrue(Integer.parseInt(t.substring("/item/".length())) >= PathSample.SIZE, t);
        }
        assertTrue(new HashSet<>(targets).size() > PathSample.SIZE / 2, "targets from all over the recent past: " + targets);
    }

    @Test
    void requestsWithCredentialsABodyAnUpgradeOrAnotherMethodAreNeverSampled() throws Exception {
        PathSample sample = new PathSample();
        offer(sample, "GET /mine HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer s3cret\r\n\r\n", 0);
        offer(sample, "GET /mine HTTP/1.1\r\nHost: a\r\nauthorization: Basic dTpw\r\n\r\n", 0);
        offer(sample, "GET /mine HTTP/1.1\r\nHost: a\r\nProxy-Authorization: Basic dTpw\r\n\r\n", 0);
        offer(sample, "GET /mine HTTP/1.1\r\nHost: a\r\nCookie: session=s3cret\r\n\r\n", 0);
        offer(sample, "GET /mine HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n", 0);
        offer(sample, "GET /mine HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n", 0);
        offer(sample, "POST /mine HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", 0);
        offer(sample, "HEAD /mine HTTP/1.1\r\nHost: a\r\n\r\n", 0);
        offer(sample, "GET http://a/mine HTTP/1.1\r\nHost: a\r\n\r\n", 0);
        assertEquals(List.of(), sample.targets());

        get(sample, "/public");
        offer(sample, "GET /offered HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nContent-Length: 0\r\n"
                + "HTTP2-Settings: AAEAAEAAAAIAAAAAAAMAAAAAAAQBAAAAAAUAAEAAAAYABgAA\r\nUpgrade: h2c\r\n\r\n", 0);
        assertEquals(List.of("/public", "/offered"), sample.targets(),
                "a plain GET is sampled, and one offering h2c as the JDK's HttpClient sends it");
    }

    @Test
    void queriesAreLeftOutUnlessKeptAndTheAppsPrefixIsStripped() throws Exception {
        PathSample sample = new PathSample();
        offer(sample, "GET /api/orders?token=s3cret HTTP/1.1\r\nHost: a\r\n\r\n", 4);
        offer(sample, "GET /api HTTP/1.1\r\nHost: a\r\n\r\n", 4);
        offer(sample, "GET /api?page=2 HTTP/1.1\r\nHost: a\r\n\r\n", 4);
        get(sample, "/search?q=shoes");
        assertEquals(List.of("/orders", "/", "/", "/search"), sample.targets());

        sample.keepQueries(true);
        assertEquals(List.of(), sample.targets(), "a change of what is kept starts the sample afresh");
        offer(sample, "GET /api/orders?page=2 HTTP/1.1\r\nHost: a\r\n\r\n", 4);
        offer(sample, "GET /api?page=3 HTTP/1.1\r\nHost: a\r\n\r\n", 4);
        assertEquals(List.of("/orders?page=2", "/?page=3"), sample.targets());

        sample.keepQueries(false);
        assertEquals(List.of(), sample.targets(), "no query stays once they are no longer kept");
    }

    @Test
    void requestsThroughTheProxyAreSampledPerAppAsTheAppGetsThem() throws Exception {
        try (TestBackend shop = TestBackend.start("shop"); TestBackend api = TestBackend.start("api");
             TestProxy proxy = TestProxy.start()) {
            proxy.server().router().define(List.of(new AppRule("api", List.of(), "/api", true),
                    AppRule.catchAll("shop")));
            for (var e : List.of(java.util.Map.entry("shop", shop), java.util.Map.entry("api", api))) {
                proxy.server().router().app(e.getKey()).flip(proxy.server().newBackend(e.getKey(), e.getValue().target(),
                        e.getValue().target().resolve(), e.getKey()));
            }
            try (RawHttp raw = new RawHttp(proxy.address())) {
                for (String path : List.of("/cart", "/api/orders?id=7", "/basket?x=1")) {
                    assertEquals(200, raw.send("GET " + path + " HTTP/1.1\r\nHost: shop.example\r\n\r\n").read().status());
                }
                assertEquals(200, raw.send("GET /api/me HTTP/1.1\r\nHost: shop.example\r\nCookie: s=1\r\n\r\n")
                        .read().status());
            }
            assertEquals(Set.of("/cart", "/basket"), new HashSet<>(proxy.server().router().app("shop").sample().targets()));
            assertEquals(List.of("/orders"), proxy.server().router().app("api").sample().targets());
        }
    }
}
