package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PauseTest {
    @RegisterExtension
    final ProxiedApp proxied = new ProxiedApp();

    private CompletableFuture<RawHttp.Response> send(String request) {
        return CompletableFuture.supplyAsync(() -> {
            try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
                return raw.send(request).read();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    private static void awaitHeld(Pause pause, int n) throws InterruptedException {
        Eventually.value(Duration.ofSeconds(10), n + " held", pause::held, held -> held == n);
    }

    @Test
    void heldRequestsReachTheAppOnlyOnceThePauseEnds() throws Exception {
        proxied.proxy().server().pause(Duration.ofSeconds(30), 100);
        Pause pause = proxied.proxy().server().router().pause();
        CompletableFuture<RawHttp.Response> get = send("GET /orders HTTP/1.1\r\nHost: shop\r\n\r\n");
        CompletableFuture<RawHttp.Response> post = send(
                "POST /upload HTTP/1.1\r\nHost: shop\r\nContent-Length: 11\r\n\r\nhello world");
        awaitHeld(pause, 2);
        assertEquals(0, proxied.app().requests(), "nothing reached the app while paused");
        proxied.proxy().server().resume();
        RawHttp.Response got = get.get(10, TimeUnit.SECONDS);
        assertEquals(200, got.status());
        assertEquals("app", got.body());
        RawHttp.Response posted = post.get(10, TimeUnit.SECONDS);
        assertEquals(200, posted.status());
        assertEquals("11", posted.body(), "the held request's body arrived whole");
        assertEquals(0, pause.held());
    }

    @Test
    void aRequestHeldPastThePauseTimeoutIsAnswered503WithRetryAfter() throws Exception {
        proxied.proxy().server().pause(Duration.ofMillis(300), 100);
        Pause pause = proxied.proxy().server().router().pause();
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            RawHttp.Response r = raw.send("GET / HTTP/1.1\r\nHost: shop\r\n\r\n").read();
            assertEquals(503, r.status());
            assertEquals("1", r.header("retry-after"));
            proxied.proxy().server().resume();
            assertEquals("app", raw.send("GET / HTTP/1.1\r\nHost: shop\r\n\r\n").read().body(),
                    "the connection goes on after the answer");
        }
        assertEquals(1, proxied.app().requests(), "only the request after the pause reached the app");
        assertEquals(0, pause.held());
    }

    @Test
    void beyondTheMostThatMayWaitTheAnswerComesAtOnce() throws Exception {
        proxied.proxy().server().pause(Duration.ofSeconds(30), 1);
        Pause pause = proxied.proxy().server().router().pause();
        CompletableFuture<RawHttp.Response> first = send("GET /first HTTP/1.1\r\nHost: shop\r\n\r\n");
        awaitHeld(pause, 1);
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            RawHttp.Response second = raw.send("GET /second HTTP/1.1\r\nHost: shop\r\n\r\n").read();
            assertEquals(503, second.status());
            assertEquals("30", second.header("retry-after"));
        }
        proxied.proxy().server().resume();
        assertEquals(200, first.get(10, TimeUnit.SECONDS).status());
        assertEquals(java.util.List.of("GET /first"), proxied.app().seen());
    }

    @Test
    void pausingAgainKeepsCountingWhatIsHeldAndResumeLetsAllGoOn() throws Exception {
        proxied.proxy().server().pause(Duration.ofSeconds(30), 1);
        CompletableFuture<RawHttp.Response> first = send("GET /first HTTP/1.1\r\nHost: shop\r\n\r\n");
        awaitHeld(proxied.proxy().server().router().pause(), 1);
        proxied.proxy().server().pause(Duration.ofSeconds(20), 1);
        Pause again = proxied.proxy().server().router().pause();
        assertEquals(1, again.held(), "the request held before still counts");
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            assertEquals(503, raw.send("GET /second HTTP/1.1\r\nHost: shop\r\n\r\n").read().status(),
                    "the bound holds across the new settings");
        }
        proxied.proxy().server().resume();
        assertEquals(200, first.get(10, TimeUnit.SECONDS).status());
    }

    @Test
    void aHeldClientThatGoesAwayIsLetGoByItsTimeoutAtTheLatestAndNeverReachesTheApp() throws Exception {
        // reading is off while a request is held, so a client's going away is seen when the
        // timeout answers it (a body must not be read into memory just to notice that)
        proxied.proxy().server().pause(Duration.ofMillis(500), 100);
        Pause pause = proxied.proxy().server().router().pause();
        try (RawHttp raw = new RawHttp(proxied.proxy().address())) {
            raw.send("GET / HTTP/1.1\r\nHost: shop\r\n\r\n");
            awaitHeld(pause, 1);
        }
        awaitHeld(pause, 0);
        proxied.proxy().server().resume();
        assertEquals(0, proxied.app().requests());
    }
}
