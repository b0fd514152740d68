package io.cutover.control;

import io.cutover.control.admin.Json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.proxy.Eventually;
import io.cutover.proxy.TestBackend;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A deploy waits its turn for at most cutover.app.lock-wait, then fails naming the one it waited for. */
class DeployLockWaitTest {

    @Test
    void aDeployThatWaitedPastTheLockWaitFailsNamingTheDeployHoldingTheLock() throws Exception {
        FakeRuntime runtime = new FakeRuntime();
        try (TestBackend app = TestBackend.start("v1");
             TestCutover cutover = TestCutover.start(Map.of(
                     "cutover.app.name", "queue",
                     "cutover.app.runtime", "process",
                     "cutover.app.ports", List.of(app.port(), DeployFlowTest.freePort()),
                     "cutover.app.lock-wait", "300ms",
                     "cutover.health.path", "/"), settings -> runtime)) {
            runtime.start.close();
            String holder = id(cutover.admin("POST", "/v1/deploy", "{\"command\": [\"v1\"]}"));
            assertTrue(runtime.start.awaitHeld(10), "the first deploy holds the lock, starting its candidate");
            try {
                String waiter = id(cutover.admin("POST", "/v1/deploy", "{\"command\": [\"v2\"]}"));
                JsonNode gaveUp = follow(cutover, waiter);
                assertEquals("failed", gaveUp.get("state").asText(), gaveUp.toString());
                String error = gaveUp.get("error").asText();
                assertTrue(error.contains("gave up after 300 ms") && error.contains(holder), error);
                assertEquals("queued", gaveUp.get("steps").get(0).get("name").asText(), gaveUp.toString());
            } finally {
                runtime.start.open();
            }
            assertEquals("succeeded", follow(cutover, holder).get("state").asText());
        }
    }

    private static String id(HttpResponse<String> accepted) throws Exception {
        assertEquals(202, accepted.statusCode(), accepted.body());
        return Json.mapper().readTree(accepted.body()).get("id").asText();
    }

    private static JsonNode follow(TestCutover cutover, String id) throws Exception {
        return Eventually.value(Duration.ofSeconds(30), "the deploy to finish",
                () -> cutover.json(cutover.admin("GET", "/v1/deploys/" + id, null).body()),
                d -> d.get("state").asText().equals("succeeded") || d.get("state").asText().equals("failed"));
    }
}
