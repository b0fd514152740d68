package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class MaintenanceTest {
    @RegisterExtension
    final ProxiedApp proxied = new ProxiedApp();

    @Test
    void everyRequestIsAnswered503WithRetryAfterAndThePageAndNeverReachesTheApp() throws Exception {
        proxied.proxy().server().router().maintenance(Maintenance.of("<h1>back at noon</h1>", 120));
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            for (String path : new String[] {"/", "/orders/7", "/health"}) {
                RawHttp.Response r = raw.send("GET " + path + " HTTP/1.1\r\nHost: shop\r\n\r\n").read();
                assertEquals(503, r.status());
                assertEquals("120", r.header("retry-after"));
                assertTrue(r.header("content-type").startsWith("text/html"), r.headers().toString());
                assertEquals("<h1>back at noon</h1>", r.body());
            }
        }
        assertEquals(0, proxied.app().requests(), "the app was never reached");
    }

    @Test
    void aClientThatAsksForJsonGetsJsonAndWithoutAPageTheDefaultOne() throws Exception {
        proxied.proxy().server().router().maintenance(Maintenance.of(null, 60));
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            RawHttp.Response api = raw.send("GET /api/orders HTTP/1.1\r\nHost: shop\r\nAccept: application/json\r\n\r\n")
                    .read();
            assertEquals(503, api.status());
            assertEquals("application/json", api.header("content-type"));
            assertTrue(api.body().contains("\"retryAfterSeconds\": 60"), api.body());
            RawHttp.Response page = raw.send("GET / HTTP/1.1\r\nHost: shop\r\nAccept: text/html\r\n\r\n").read();
            assertTrue(page.body().contains("Down for maintenance"), page.body());
        }
    }

    @Test
    void aHeadRequestGetsTheAnswerWithoutItsBodyAndItsConnectionGoesOn() throws Exception {
        proxied.proxy().server().router().maintenance(Maintenance.of("<h1>down</h1>", 60));
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            raw.send("HEAD / HTTP/1.1\r\nHost: shop\r\n\r\n");
            String head = raw.readUntil("\r\n\r\n");
            assertTrue(head.startsWith("HTTP/1.1 503"), head);
            assertTrue(head.toLowerCase().contains("content-length: 13"), head);
            raw.send("GET / HTTP/1.1\r\nHost: shop\r\n\r\n");
            assertEquals("HTTP/1.1 503", raw.readRaw(12), "the next answer starts right after the head: no body between");
        }
    }

    @Test
    void aKeepAliveClientReachesTheAppAgainOnItsNextRequestOnceMaintenanceEnds() throws Exception {
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            assertEquals("app", raw.send("GET / HTTP/1.1\r\nHost: shop\r\n\r\n").read().body());
            proxied.proxy().server().router().maintenance(Maintenance.of(null, 60));
            assertEquals(503, raw.send("GET / HTTP/1.1\r\nHost: shop\r\n\r\n").read().status());
            proxied.proxy().server().router().maintenance(null);
            RawHttp.Response back = raw.send("GET / HTTP/1.1\r\nHost: shop\r\n\r\n").read();
            assertEquals(200, back.status());
            assertEquals("app", back.body());
        }
    }

    @Test
    void aRequestUnderWayWhenMaintenanceBeginsFinishesOnTheApp() throws Exception {
        CompletableFuture<RawHttp.Response> slow = CompletableFuture.supplyAsync(() -> {
            try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
                return raw.send("GET /slow?ms=1000 HTTP/1.1\r\nHost: shop\r\n\r\n").read();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Eventually.until(Duration.ofSeconds(10), "the slow request to reach the app",
                () -> proxied.app().seen().contains("GET /slow?ms=1000"));
        proxied.proxy().server().router().maintenance(Maintenance.of(null, 60));
        RawHttp.Response r = slow.get(10, TimeUnit.SECONDS);
        assertEquals(200, r.status());
        assertEquals("app", r.body());
    }

    @Test
    void aRequestWithABodyIsAnsweredAndItsConnectionClosed() throws Exception {
        proxied.proxy().server().router().maintenance(Maintenance.of(null, 60));
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            RawHttp.Response r = raw.send("POST /orders HTTP/1.1\r\nHost: shop\r\nContent-Length: 5\r\n\r\nhello").read();
            assertEquals(503, r.status());
            assertEquals("close", r.header("connection"));
            assertTrue(raw.closedByPeer());
        }
        assertEquals(0, proxied.app().requests());
    }
}
