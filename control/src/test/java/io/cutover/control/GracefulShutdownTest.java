package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.proxy.Eventually;
import io.cutover.proxy.TestBackend;
import io.cutover.proxy.TestHttp;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GracefulShutdownTest {
    private final HttpClient http = TestHttp.client();

    @Test
    void sigtermFinishesInFlightRequestsStopsAcceptingAndExitsZero() throws Exception {
        try (TestBackend app = TestBackend.start("app");
             ServeProcess serve = ServeProcess.start(List.of("-Xmx128m"), "--target", app.target().toString())) {
            URI slowUri = URI.create("http://127.0.0.1:" + serve.proxyPort() + "/slow?ms=2000");
            List<CompletableFuture<HttpResponse<String>>> slow = List.of(
                    http.sendAsync(TestHttp.request(slowUri).build(), HttpResponse.BodyHandlers.ofString()),
                    http.sendAsync(TestHttp.request(slowUri).build(), HttpResponse.BodyHandlers.ofString()));
            long sent = System.nanoTime();
            // the slow ones themselves: the start-up's health rehearsal reaches the backend too
            Eventually.value(Duration.ofSeconds(10), "both slow requests in flight on the backend",
                    () -> app.seen().stream().filter(r -> r.startsWith("GET /slow")).count(), n -> n >= 2);

            int exit = serve.terminate(30);
            long exited = System.nanoTime();

            assertEquals(0, exit, serve.log());
            for (CompletableFuture<HttpResponse<String>> r : slow) {
                assertEquals(200, r.get(5, TimeUnit.SECONDS).statusCode());
                assertEquals("app", r.get().body());
            }
            assertTrue(TimeUnit.NANOSECONDS.toMillis(exited - sent) >= 2000,
                    "it exited only after the in-flight requests (2 s each, from when they were sent)");
            assertTrue(serve.log().contains("stopped"), serve.log());
            assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", serve.proxyPort()).close());
        }
    }
}
