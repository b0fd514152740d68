package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.proxy.Eventually;
import io.cutover.proxy.TestBackend;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdminApiTest {
    private TestBackend blue;
    private TestBackend green;
    private TestCutover cutover;

    @BeforeEach
    void start() throws Exception {
        blue = TestBackend.start("blue");
        green = TestBackend.start("green");
        cutover = TestCutover.start("cutover.target", blue.target().toString());
    }

    @AfterEach
    void stop() {
        cutover.close();
        blue.close();
        green.close();
    }

    @Test
    void switchAnswersWithPreviousAndActiveAndTrafficFollows() throws Exception {
        HttpResponse<String> r = cutover.switchTo(green.target().toString());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = cutover.json(r.body());
        assertEquals(blue.target().toString(), body.get("previous").asText());
        assertEquals(green.target().toString(), body.get("active").asText());
        assertTrue(body.get("changed").asBoolean());
        assertEquals("green", cutover.get("/").body());
    }

    @Test
    void aSwitchBackToThePreviousTargetWhileItsBackgroundProbePassesFlipsWithoutAProbeOfItsOwn() throws Exception {
        cutover.close();
        cutover = TestCutover.start("cutover.target", blue.target().toString(), "cutover.health.interval", "5s",
                "cutover.health.timeout", "1s", "cutover.health.deadline", "3s");
        assertEquals(200, cutover.switchTo(green.target().toString()).statusCode());
        awaitPreviousWarm(true);
        // a probe now would take 10 s and fail the switch: only a switch that needs none goes through
        blue.healthDelayMs(10_000);
        HttpResponse<String> back = cutover.switchTo(blue.target().toString());
        assertEquals(200, back.statusCode(), back.body());
        assertEquals(0, cutover.json(back.body()).get("healthWaitMs").asInt(), back.body());
        assertEquals("blue", cutover.get("/").body());
    }

    @Test
    void aPreviousTargetThatFailsItsBackgroundProbeIsProbedAgainBeforeASwitchBack() throws Exception {
        cutover.close();
        cutover = TestCutover.start("cutover.target", blue.target().toString(), "cutover.health.interval", "50ms",
                "cutover.health.deadline", "500ms");
        assertEquals(200, cutover.switchTo(green.target().toString()).statusCode());
        awaitPreviousWarm(true);
        blue.healthStatus(503);
        awaitPreviousWarm(false);
        HttpResponse<String> refused = cutover.switchTo(blue.target().toString());
        assertTrue(refused.statusCode() >= 400, refused.body());
        assertTrue(refused.body().contains("503"), refused.body());
        assertEquals("green", cutover.get("/").body());
    }

    private void awaitPreviousWarm(boolean warm) throws Exception {
        Eventually.until(Duration.ofSeconds(20), "the previous target to become " + (warm ? "warm" : "cold"),
                () -> cutover.status().get("previousWarm").asBoolean() == warm);
    }

    @Test
    void switchReturnsRightAfterTheFlipWhileTheOldBackendDrains() throws Exception {
        CompletableFuture<String> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return cutover.get("/slow?ms=6000").body();     // still under way after the switch, however slow
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        awaitInFlight(1);
        HttpResponse<String> r = cutover.switchTo(green.target().toString());
        assertEquals(200, r.statusCode());
        assertFalse(slow.isDone(), "the switch answered before the slow request finished");

        JsonNode during = cutover.status();
        assertEquals(green.target().toString(), during.get("active").asText());
        assertEquals("draining", during.get("backends").get(1).get("state").asText());
        assertEquals(1, during.get("backends").get(1).get("inFlight").asInt());

        assertEquals("blue", slow.get(20, TimeUnit.SECONDS));
        JsonNode drain = awaitDrainFigures();
        assertEquals(1, drain.get("inFlight").asInt());
        assertEquals(1, drain.get("completed").asInt());
        assertEquals(0, drain.get("forced").asInt());
    }

    @Test
    void aRequestCutAtTheDrainDeadlineIsCountedAsForcedInStatusAndMetrics() throws Exception {
        cutover.close();
        cutover = TestCutover.start("cutover.target", blue.target().toString(), "cutover.drain.deadline", "300ms");
        CompletableFuture<HttpResponse<String>> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return cutover.get("/slow?ms=10000");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        awaitInFlight(1);
        assertEquals(200, cutover.switchTo(green.target().toString()).statusCode());
        JsonNode drain = awaitDrainFigures();
        assertEquals(1, drain.get("inFlight").asInt(), drain.toString());
        assertEquals(0, drain.get("completed").asInt(), drain.toString());
        assertEquals(1, drain.get("forced").asInt(), drain.toString());
        // cut before its response began: the client is told so (502), it never hangs
        assertEquals(502, slow.get(10, TimeUnit.SECONDS).statusCode());

        String m = cutover.admin("GET", "/metrics", null).body();
        assertTrue(m.contains("cutover_drain_requests_total{app=\"default\",outcome=\"forced\"} 1.0"), m);
        assertTrue(m.contains("cutover_drain_requests_total{app=\"default\",outcome=\"completed\"} 0.0"), m);
        assertTrue(m.contains("cutover_drain_seconds_count{app=\"default\"} 1"), m);
    }

    @Test
    void statusNamesActiveAndPreviousTargetsAndTheLastSwitch() throws Exception {
        JsonNode before = cutover.status();
        assertEquals(blue.target().toString(), before.get("active").asText());
        assertTrue(before.get("previous").isNull());
        assertTrue(before.get("lastSwitch").isNull());

        cutover.switchTo(green.target().toString());
        JsonNode after = cutover.status();
        assertEquals(green.target().toString(), after.get("active").asText());
        assertEquals(blue.target().toString(), after.get("previous").asText());
        assertEquals(blue.target().toString(), after.get("lastSwitch").get("from").asText());
        assertEquals(green.target().toString(), after.get("lastSwitch").get("to").asText());
        assertTrue(after.get("lastSwitch").get("healthWaitMs").asLong() >= 0);
    }

    @Test
    void switchingToTheActiveTargetIsANoOp() throws Exception {
        HttpResponse<String> r = cutover.switchTo(blue.target().toString());
        assertEquals(200, r.statusCode());
        assertFalse(cutover.json(r.body()).get("changed").asBoolean());
        assertTrue(cutover.status().get("lastSwitch").isNull());
    }

    @Test
    void refusesADeadTargetWith503AndLeavesTrafficWhereItWas() throws Exception {
        int port = green.port();
        green.close();
        HttpResponse<String> r = cutover.switchTo("127.0.0.1:" + port);
        assertEquals(503, r.statusCode());
        assertTrue(cutover.json(r.body()).get("error").asText().contains("health check"), r.body());
        assertEquals("blue", cutover.get("/").body());
        assertEquals(blue.target().toString(), cutover.status().get("active").asText());
    }

    @Test
    void refusesATargetAnswering500With503() throws Exception {
        green.healthStatus(500);
        HttpResponse<String> r = cutover.switchTo(green.target().toString());
        assertEquals(503, r.statusCode());
        assertTrue(r.body().contains("status 500"), r.body());
        assertEquals("blue", cutover.get("/").body());
    }

    @Test
    void refusesASecondSwitchWhileOneIsRunningWith409() throws Exception {
        cutover.close();
        // the first switch's probe takes 4 s: the second surely comes while it runs
        cutover = TestCutover.start("cutover.target", blue.target().toString(), "cutover.health.timeout", "10s",
                "cutover.health.deadline", "20s");
        green.healthDelayMs(4000);
        int before = green.requests();
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> {
            try {
                return cutover.switchTo(green.target().toString());
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        // the first switch is in its health gate once green sees a probe
        Eventually.value(Duration.ofSeconds(10), "the first switch to probe green", green::requests, n -> n != before);
        HttpResponse<String> second = cutover.switchTo(blue.target().toString());
        assertEquals(409, second.statusCode());
        assertTrue(second.body().contains("already running"), second.body());
        assertEquals(200, first.get(30, TimeUnit.SECONDS).statusCode());
        assertEquals("green", cutover.get("/").body());
    }

    @Test
    void answers400ForBadBodies() throws Exception {
        for (String body : new String[] {"", "not json", "{}", "{\"target\": 8081}", "{\"target\": \"nohost\"}",
                "{\"target\": \"a:99999\"}", "{\"target\": \"a:1\", \"extra\": true}"}) {
            HttpResponse<String> r = cutover.admin("POST", "/v1/switch", body);
            assertEquals(400, r.statusCode(), body + " -> " + r.body());
            assertEquals(400, cutover.json(r.body()).get("status").asInt());
        }
    }

    @Test
    void aSwitchBodyThatNamesNoTargetIsToldToNameOneAndOneThatIsNoJsonIsShownTheShape() throws Exception {
        for (String body : new String[] {"null", "{}"}) {
            HttpResponse<String> r = cutover.admin("POST", "/v1/switch", body);
            assertEquals(400, r.statusCode(), body + " -> " + r.body());
            assertTrue(cutover.json(r.body()).get("error").asText().startsWith("body must name a target"), r.body());
        }
        HttpResponse<String> r = cutover.admin("POST", "/v1/switch", "not json");
        assertTrue(cutover.json(r.body()).get("error").asText().startsWith("body must be JSON like"), r.body());
    }

    @Test
    void answers404And405AsJson() throws Exception {
        HttpResponse<String> missing = cutover.admin("GET", "/v1/nothing", null);
        assertEquals(404, missing.statusCode());
        assertTrue(missing.body().contains("no such endpoint"));
        assertEquals(405, cutover.admin("GET", "/v1/switch", null).statusCode());
        assertEquals(405, cutover.admin("DELETE", "/v1/status", null).statusCode());
    }

    @Test
    void metricsCountRequestsByVersionAndStatusClassAndSwitchesInPrometheusFormat() throws Exception {
        for (int i = 0; i < 3; i++) {
            cutover.get("/");
        }
        cutover.switchTo(green.target().toString());
        cutover.get("/");
        HttpResponse<String> r = cutover.admin("GET", "/metrics", null);
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
        String m = r.body();
        assertTrue(m.contains("cutover_requests_seconds_count{app=\"default\",status=\"2xx\",target=\"" + blue.target()
                + "\",version=\"" + blue.target() + "\"} 3"), m);
        assertTrue(m.contains("cutover_requests_seconds_count{app=\"default\",status=\"2xx\",target=\"" + green.target()
                + "\",version=\"" + green.target() + "\"} 1"), m);
        assertTrue(m.contains("cutover_switches_total{app=\"default\"} 1.0"), m);
        assertTrue(m.contains("cutover_requests_in_flight{app=\"default\"} 0.0"), m);
        assertTrue(m.contains("cutover_health_wait_seconds_count{app=\"default\"} 1"), m);
    }

    @Test
    void theRequestSeriesOfAVersionTrafficHasLeftGoAfterAWhileSoTheyDoNotPileUpWithReleases() throws Exception {
        cutover.close();
        cutover = TestCutover.start("cutover.target", blue.target().toString(), "cutover.metrics.keep-retired", "200ms");
        cutover.get("/");
        cutover.switchTo(green.target().toString());
        cutover.get("/");
        String blueSeries = "target=\"" + blue.target() + "\"";
        Eventually.until(Duration.ofSeconds(10), "blue's series to go",
                () -> !cutover.admin("GET", "/metrics", null).body().contains(blueSeries));
        assertTrue(cutover.admin("GET", "/metrics", null).body().contains("target=\"" + green.target() + "\""));
    }

    @Test
    void refusesAnOversizedAdminBody() throws Exception {
        HttpResponse<String> r = cutover.admin("POST", "/v1/switch", "{\"target\": \"" + "a".repeat(100_000) + "\"}");
        assertEquals(413, r.statusCode());
    }

    private void awaitInFlight(int n) throws Exception {
        Eventually.value(Duration.ofSeconds(10), n + " in flight",
                () -> cutover.status().get("backends").get(0).get("inFlight").asInt(), inFlight -> inFlight == n);
    }

    private JsonNode awaitDrainFigures() throws Exception {
        return Eventually.value(Duration.ofSeconds(20), "the drain to finish",
                () -> cutover.status().get("lastSwitch").get("drain"), drain -> !drain.isNull());
    }
}
