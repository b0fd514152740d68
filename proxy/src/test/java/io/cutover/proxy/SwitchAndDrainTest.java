package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SwitchAndDrainTest {
    private final HttpClient http = TestHttp.client();
    private TestBackend blue;
    private TestBackend green;
    private TestProxy proxy;

    @BeforeEach
    void start() throws Exception {
        blue = TestBackend.start("blue");
        green = TestBackend.start("green");
        proxy = TestProxy.start();
        proxy.switchTo(blue.target());
    }

    @AfterEach
    void stop() {
        proxy.close();
        blue.close();
        green.close();
    }

    private CompletableFuture<HttpResponse<String>> getAsync(String path) {
        return http.sendAsync(TestHttp.request(proxy.uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void nextRequestOnAKeepAliveConnectionGoesToTheNewBackend() throws Exception {
        try (RawHttp raw = new RawHttp(proxy.address())) {
            assertEquals("blue", raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
            proxy.switchTo(green.target());
            assertEquals("green", raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
            assertEquals("green", raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().body());
        }
    }

    @Test
    void drainWaitsForSlowRequestsThenClosesTheOldPool() throws Exception {
        Backend old = proxy.server().router().active();
        List<CompletableFuture<HttpResponse<String>>> slow = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            slow.add(getAsync("/slow?ms=5000"));     // all 20 under way at once, even on a busy machine
        }
        awaitInFlight(old, 20);

        DrainResult drain = proxy.switchTo(green.target()).get(30, TimeUnit.SECONDS);

        for (CompletableFuture<HttpResponse<String>> r : slow) {
            assertEquals(200, r.get().statusCode());
            assertEquals("blue", r.get().body());
        }
        assertEquals(20, drain.inFlight());
        assertEquals(20, drain.completed());
        assertEquals(0, drain.forced());
        assertEquals(0, old.inFlight());
        awaitNoConnections(old);
        assertEquals("green", getAsync("/").get().body());
    }

    @Test
    void newRequestsGoToTheNewBackendWhileTheOldOneDrains() throws Exception {
        Backend old = proxy.server().router().active();
        CompletableFuture<HttpResponse<String>> slow = getAsync("/slow?ms=6000");
        awaitInFlight(old, 1);
        CompletableFuture<DrainResult> drain = proxy.switchTo(green.target());
        assertTrue(!drain.isDone(), "drain waits for the slow request");
        for (int i = 0; i < 10; i++) {
            assertEquals("green", getAsync("/").get().body());
        }
        assertTrue(!drain.isDone() || slow.isDone(), "drain still waits for the slow request");
        assertEquals("blue", slow.get().body());
        assertEquals(1, drain.get().completed());
    }

    @Test
    void chunkedResponseStreamedOverSecondsCompletesAcrossASwitch() throws Exception {
        HttpResponse<InputStream> streaming = http.send(TestHttp.request(proxy.uri("/stream?chunks=6&ms=400"))
                .build(), HttpResponse.BodyHandlers.ofInputStream());
        InputStream body = streaming.body();
        byte[] first = body.readNBytes(7);
        assertEquals("blue 0\n", new String(first, StandardCharsets.UTF_8));

        CompletableFuture<DrainResult> drain = proxy.switchTo(green.target());
        assertEquals("green", getAsync("/").get().body());

        String rest = new String(body.readAllBytes(), StandardCharsets.UTF_8);
        assertEquals("blue 1\nblue 2\nblue 3\nblue 4\nblue 5\n", rest);
        assertEquals(0, drain.get(10, TimeUnit.SECONDS).forced());
    }

    @Test
    void drainDeadlineClosesAndCountsWhatIsStillInFlight() throws Exception {
        Backend old = proxy.server().router().active();
        CompletableFuture<HttpResponse<String>> tooSlow = getAsync("/slow?ms=10000");
        awaitInFlight(old, 1);

        DrainResult drain = proxy.switchTo(green.target(), Duration.ofMillis(300)).get(10, TimeUnit.SECONDS);

        assertEquals(1, drain.inFlight());
        assertEquals(1, drain.forced());
        assertEquals(0, drain.completed());
        // its response had not started: the client gets a clean 502, not a hang
        assertEquals(502, tooSlow.get(10, TimeUnit.SECONDS).statusCode());
        awaitInFlight(old, 0);
        assertEquals("green", getAsync("/").get().body());
    }

    @Test
    void drainDeadlineCountsStragglersAsForcedEveryTime() throws Exception {
        // Closing a straggler at the deadline ends its exchange on its own loop, racing the
        // deadline task on another loop; the figures must still say "forced", every time.
        TestBackend[] order = {green, blue};
        for (int i = 0; i < 20; i++) {
            Backend old = proxy.server().router().active();
            CompletableFuture<HttpResponse<String>> tooSlow = getAsync("/slow?ms=10000");
            awaitInFlight(old, 1);
            DrainResult drain = proxy.switchTo(order[i % 2].target(), Duration.ofMillis(50)).get(10, TimeUnit.SECONDS);
            assertEquals(1, drain.forced(), "drain " + i + ": " + drain);
            assertEquals(0, drain.completed(), "drain " + i + ": " + drain);
            assertEquals(502, tooSlow.get(10, TimeUnit.SECONDS).statusCode());
        }
    }

    @Test
    void drainOfAnIdleBackendEndsAtOnceAndClosesItsParkedConnections() throws Exception {
        Backend old = proxy.server().router().active();
        for (int i = 0; i < 5; i++) {
            assertEquals("blue", getAsync("/").get().body());
        }
        assertTrue(old.openConnections() > 0, "a parked keep-alive connection");
        DrainResult drain = proxy.switchTo(green.target()).get(5, TimeUnit.SECONDS);
        assertEquals(0, drain.inFlight());
        awaitNoConnections(old);
    }

    static void awaitInFlight(Backend backend, int expected) throws InterruptedException {
        Eventually.value(Duration.ofSeconds(10), expected + " in flight on " + backend.target(), backend::inFlight,
                n -> n == expected);
    }

    static void awaitNoConnections(Backend backend) throws InterruptedException {
        Eventually.value(Duration.ofSeconds(10), "no connection open to " + backend.target(), backend::openConnections,
                n -> n == 0);
    }

}
