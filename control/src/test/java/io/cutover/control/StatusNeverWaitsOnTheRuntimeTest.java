package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.proxy.RawHttp;
import io.cutover.proxy.TestBackend;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A Docker engine that hangs (paused, overloaded) must not stop traffic or the admin API: the
 * status of the app's versions comes from what a watcher thread last saw, never from a call made
 * while answering.
 */
class StatusNeverWaitsOnTheRuntimeTest {

    @Test
    void statusAnswersAndEveryEventLoopServesWhileTheRuntimeHangs() throws Exception {
        FakeRuntime runtime = new FakeRuntime();
        try (TestBackend app = TestBackend.start("v1");
             TestCutover cutover = TestCutover.start(Map.of(
                     "cutover.app.name", "hang",
                     "cutover.app.runtime", "process",
                     "cutover.app.ports", List.of(app.port(), DeployFlowTest.freePort()),
                     "cutover.health.path", "/"), settings -> runtime)) {
            HttpResponse<String> accepted = cutover.admin("POST", "/v1/deploy", "{\"command\": [\"v1\"]}");
            assertEquals(202, accepted.statusCode(), accepted.body());
            DeployFlowTest.awaitBody(cutover, "v1");

            runtime.notRunning.close();     // from now on, whoever asks whether v1 runs waits a minute
            try {
                CompletableFuture<HttpResponse<String>> status = CompletableFuture.supplyAsync(() -> {
                    try {
                        return cutover.admin("GET", "/v1/status", null);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                // connections are spread over the event loops in turn: these reach every one of them
                InetSocketAddress proxy = cutover.cutover().proxyAddress();
                List<RawHttp> clients = new ArrayList<>();
                try {
                    for (int i = 0; i < 8; i++) {
                        clients.add(new RawHttp(proxy));
                    }
                    for (RawHttp client : clients) {
                        RawHttp.Response r = client.send("GET / HTTP/1.1\r\nHost: app\r\n\r\n").read();
                        assertEquals("v1", r.body());
                    }
                } finally {
                    for (RawHttp client : clients) {
                        client.close();
                    }
                }
                HttpResponse<String> answer = status.get(30, TimeUnit.SECONDS);
                assertEquals(200, answer.statusCode(), answer.body());
                JsonNode active = cutover.json(answer.body()).get("app").get("active");
                assertEquals("running", active.get("running").asText(), answer.body());
                assertTrue(runtime.notRunning.awaitHeld(30), "the watcher did ask, and hangs there");
            } finally {
                runtime.notRunning.open();
            }
        }
    }
}
