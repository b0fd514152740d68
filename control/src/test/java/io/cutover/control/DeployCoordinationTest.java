package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.proxy.Eventually;
import io.cutover.proxy.TestBackend;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deploys and manual switches share one idea of where traffic goes, and what fails after a
 * deploy's flip is reported, not turned into a failed deploy. A fake runtime "runs" v1 and v2 on
 * the app's two ports, where real test backends answer.
 */
class DeployCoordinationTest {
    @TempDir
    java.nio.file.Path dir;

    private final FakeRuntime runtime = new FakeRuntime();
    private TestBackend v1;
    private TestBackend v2;
    private TestCutover cutover;

    @BeforeEach
    void start() throws Exception {
        v1 = TestBackend.start("v1");
        v2 = TestBackend.start("v2");
        cutover = TestCutover.start(config(Map.of()), s -> runtime);
    }

    @AfterEach
    void stop() {
        runtime.start.open();
        if (cutover != null) {
            cutover.close();
        }
        v1.close();
        v2.close();
    }

    private Map<String, Object> config(Map<String, Object> extra) {
        Map<String, Object> c = new HashMap<>(Map.of(
                "cutover.app.name", "coord",
                "cutover.app.runtime", "process",
                "cutover.app.ports", List.of(v1.port(), v2.port()),
                "cutover.health.path", "/",
                "cutover.drain.deadline", "10s",
                "cutover.state-dir", dir.toString()));
        c.putAll(extra);
        return c;
    }

    private String deploy(String v) throws Exception {
        HttpResponse<String> r = cutover.admin("POST", "/v1/deploy", "{\"command\": [\"" + v + "\"]}");
        assertEquals(202, r.statusCode(), r.body());
        return cutover.json(r.body()).get("id").asText();
    }

    private JsonNode follow(String id) throws Exception {
        return Eventually.value(Duration.ofSeconds(30), "the deploy to finish",
                () -> cutover.json(cutover.admin("GET", "/v1/deploys/" + id, null).body()),
                d -> d.get("state").asText().equals("succeeded") || d.get("state").asText().equals("failed"));
    }

    @Test
    void aManualSwitchWhileADeployRunsIsRefusedNamingTheDeployAndTheDeployFinishesOnItsNewVersion() throws Exception {
        assertEquals("succeeded", follow(deploy("v1")).get("state").asText());
        CompletableFuture<String> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return cutover.get("/slow?ms=6000").body();    // keeps v1 draining well past the switch below
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        awaitInFlight();
        String second = deploy("v2");
        awaitStep(second, "switched");

        HttpResponse<String> refused = cutover.switchTo(v1.target().toString());
        assertEquals(409, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains(second), refused.body());

        assertEquals("succeeded", follow(second).get("state").asText());
        assertEquals("v1", slow.get(20, TimeUnit.SECONDS), "the request in flight finished on v1");
        assertEquals("v2", cutover.get("/").body());
        assertEquals(1, runtime.stopped.size(), "v1 stopped once its drain ended: " + runtime.stopped);

        assertEquals(200, cutover.switchTo(v1.target().toString()).statusCode(), "after the deploy, switching works");
    }

    @Test
    void aPreviousVersionAnOperatorSwitchedBackToIsNotStoppedWhenItsKeepRunningTimeEnds() throws Exception {
        cutover.close();
        // 10 s: the switch back surely comes before the reaper's time, even on a busy machine
        cutover = TestCutover.start(config(Map.of("cutover.app.keep-previous", "running",
                "cutover.app.keep-running-for", "10s")), s -> runtime);
        follow(deploy("v1"));
        follow(deploy("v2"));
        assertFalse(cutover.status().get("app").get("previousStopsAt").isNull());
        assertEquals(200, cutover.switchTo(v1.target().toString()).statusCode());
        assertEquals("v1", cutover.get("/").body());
        Eventually.until(Duration.ofSeconds(40), "the reaper to run",
                () -> cutover.status().get("app").get("previousStopsAt").isNull());
        assertEquals(List.of(), runtime.stopped, "v1 carries traffic: it was left running");
        assertEquals("v1", cutover.get("/").body());
    }

    @Test
    void aPreviousVersionItsRestartPolicyIsBringingBackIsStoppedBeforeItsPortIsReused() throws Exception {
        cutover.close();
        cutover = TestCutover.start(config(Map.of("cutover.app.keep-previous", "running",
                "cutover.app.keep-running-for", "1h")), s -> runtime);
        String first = deploy("v1");
        follow(first);
        follow(deploy("v2"));
        Instance v1Run = runtime.lastStarted(first);
        runtime.restarting.add(v1Run);         // it crashed; the runtime will start it again, on v1's port
        String third = deploy("v3");
        assertEquals("succeeded", follow(third).get("state").asText());
        List<String> calls = runtime.calls;
        assertTrue(calls.indexOf("stop " + first) >= 0 && calls.indexOf("stop " + first) < calls.indexOf("start " + third),
                "v1 was stopped before v3 took its port: " + calls);
    }

    @Test
    void theKeepRunningTimeSurvivesARestartOfCutover() throws Exception {
        cutover.close();
        // long enough that the first cutover is surely gone before its own timer could fire
        Map<String, Object> conf = config(Map.of("cutover.app.keep-previous", "running",
                "cutover.app.keep-running-for", "3s"));
        cutover = TestCutover.start(conf, s -> runtime);
        String first = deploy("v1");
        follow(first);
        follow(deploy("v2"));
        cutover.close();
        cutover = TestCutover.start(conf, s -> runtime);
        Eventually.until(Duration.ofSeconds(20), "the restarted cutover to stop the previous version",
                () -> !runtime.stopped.isEmpty());
        assertEquals(first, runtime.stopped.get(0).deployId());
        assertEquals("v2", cutover.get("/").body());
    }

    @Test
    void aReleaseNameNamesTheVersionInStepsStatusAndMetrics() throws Exception {
        HttpResponse<String> r = cutover.admin("POST", "/v1/deploy", "{\"command\": [\"v1\"], \"release\": \"v1.0.0\"}");
        assertEquals(202, r.statusCode(), r.body());
        JsonNode d = follow(cutover.json(r.body()).get("id").asText());
        assertEquals("succeeded", d.get("state").asText(), d.toString());
        assertEquals("v1.0.0", d.get("release").asText());
        assertEquals("v1.0.0", cutover.status().get("app").get("active").get("release").asText());
        cutover.get("/");
        assertTrue(cutover.admin("GET", "/metrics", null).body().contains("version=\"v1.0.0\""));
        r = cutover.admin("POST", "/v1/deploy", "{\"command\": [\"v2\"], \"release\": \"bad\\nname\"}");
        assertEquals(400, r.statusCode(), r.body());
    }

    @Test
    void aDeployWhoseOldVersionCannotBeStoppedSucceedsWithAWarning() throws Exception {
        follow(deploy("v1"));
        runtime.stopFails = new IllegalStateException("docker: connection reset");
        JsonNode d = follow(deploy("v2"));
        assertEquals("succeeded", d.get("state").asText(), d.toString());
        assertTrue(d.get("warnings").get(0).asText().contains("connection reset"), d.toString());
        assertEquals("v2", cutover.get("/").body());
        assertTrue(cutover.admin("GET", "/metrics", null).body().contains("cutover_deploy_warnings_total{app=\"coord\"} 1.0"));
    }

    @Test
    void cutoverStartsAndRoutesToTheLastKnownVersionWhenTheRuntimeIsDownAtStartUp() throws Exception {
        follow(deploy("v1"));
        follow(deploy("v2"));
        cutover.close();
        runtime.down = new IllegalStateException("Cannot connect to the Docker daemon");
        cutover = TestCutover.start(config(Map.of()), s -> runtime);
        assertEquals("v2", cutover.get("/").body());
        JsonNode app = cutover.status().get("app");
        assertTrue(app.get("problem").asText().contains("Cannot connect to the Docker daemon"), app.toString());
        runtime.down = null;
        cutover.close();
        cutover = TestCutover.start(config(Map.of()), s -> runtime);
        assertNull(cutover.status().get("app").get("problem").textValue(), "nothing to report once it is up");
    }

    @Test
    void aManualSwitchInItsHealthGateWhenADeployArrivesEndsFirstAndTheDeployFlipsOnlyAfterIt() throws Exception {
        cutover.close();
        cutover = TestCutover.start(config(Map.of("cutover.health.path", "/health", "cutover.health.timeout", "5s")),
                s -> runtime);
        follow(deploy("v1"));
        try (TestBackend manual = TestBackend.start("manual")) {
            manual.healthDelayMs(1500);
            CompletableFuture<HttpResponse<String>> switching = CompletableFuture.supplyAsync(() -> {
                try {
                    return cutover.switchTo(manual.target().toString());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            // the operator's switch is in its health gate
            Eventually.until(Duration.ofSeconds(10), "the manual switch to probe its target",
                    () -> manual.seen().contains("GET /health"));
            JsonNode d = follow(deploy("v2"));
            assertEquals("succeeded", d.get("state").asText(), d.toString());
            assertEquals(200, switching.get(10, TimeUnit.SECONDS).statusCode(), "the operator was told it switched");
            assertTrue(d.toString().contains(manual.target() + " -> " + v2.target()),
                    "the deploy flipped after the operator's switch, from where it had gone: " + d);
            assertEquals("v2", cutover.get("/").body());
        }
    }

    @Test
    void afterARollbackTheKeepRunningTimeOfTheVersionRolledBackToNeverStopsItAndTheOtherStopsOnTime() throws Exception {
        cutover.close();
        cutover = TestCutover.start(config(Map.of("cutover.app.keep-previous", "running",
                "cutover.app.keep-running-for", "8s")), s -> runtime);
        follow(deploy("v1"));
        String second = deploy("v2");
        follow(second);                                      // v1 kept running for 8 s (the rollback comes first)
        HttpResponse<String> r = cutover.admin("POST", "/v1/rollback", "{}");
        assertEquals(202, r.statusCode(), r.body());
        assertEquals("succeeded", follow(cutover.json(r.body()).get("id").asText()).get("state").asText());
        // v1 is active again; v2 is the previous version now, kept running for 8 s from the rollback
        java.time.Instant v2StopsAt = java.time.Instant.parse(
                cutover.status().get("app").get("previousStopsAt").asText());
        Eventually.until(Duration.ofSeconds(40), "the previous version to be stopped", () -> !runtime.stopped.isEmpty());
        Thread.sleep(300);     // deliberate: lets a stale timer fire, to prove it stops nothing else
        assertEquals(List.of(second), runtime.stopped.stream().map(Instance::deployId).toList(),
                "only v2 stopped, never the version rolled back to");
        assertFalse(runtime.stoppedAt.get(0).isBefore(v2StopsAt.minusMillis(50)),
                "v2 stopped at its own time (" + v2StopsAt + "), not at v1's earlier one: " + runtime.stoppedAt);
        assertEquals("v1", cutover.get("/").body());
    }

    @Test
    void aDeployIsRefusedWhileTrafficGoesToThePreviousVersionWhosePortItWouldTake() throws Exception {
        String first = deploy("v1");
        follow(first);
        follow(deploy("v2"));
        assertEquals(200, cutover.switchTo(v1.target().toString()).statusCode(), "an operator switched back by hand");
        int stopsBefore = runtime.stopped.size();
        JsonNode d = follow(deploy("v3"));
        assertEquals("failed", d.get("state").asText(), d.toString());
        assertTrue(d.get("error").asText().contains("switched to by hand"), d.toString());
        assertEquals(stopsBefore, runtime.stopped.size(), "nothing was stopped: " + runtime.calls);
        assertEquals("v1", cutover.get("/").body());
    }

    @Test
    void maintenanceSurvivesADeployAndARestartOfCutoverUntilItIsTurnedOff() throws Exception {
        follow(deploy("v1"));
        HttpResponse<String> on = cutover.admin("POST", "/v1/maintenance",
                "{\"on\": true, \"page\": \"<p>db migration</p>\", \"retryAfterSeconds\": 300}");
        assertEquals(200, on.statusCode(), on.body());
        assertTrue(cutover.json(on.body()).get("persisted").asBoolean(), on.body());
        assertEquals(503, cutover.get("/").statusCode());
        JsonNode d = follow(deploy("v2"));       // a deploy during maintenance (the new version's migration)
        assertEquals("succeeded", d.get("state").asText(), d.toString());
        assertEquals(503, cutover.get("/").statusCode(), "the deploy kept maintenance on");

        cutover.close();
        cutover = TestCutover.start(config(Map.of()), s -> runtime);
        HttpResponse<String> after = cutover.get("/");
        assertEquals(503, after.statusCode(), "maintenance survived the restart");
        assertEquals("<p>db migration</p>", after.body());
        assertEquals("300", after.headers().firstValue("retry-after").orElse(""));
        assertTrue(cutover.status().get("maintenance").asBoolean());

        assertEquals(200, cutover.admin("POST", "/v1/maintenance", "{\"on\": false}").statusCode());
        assertEquals("v2", cutover.get("/").body());
        cutover.close();
        cutover = TestCutover.start(config(Map.of()), s -> runtime);
        assertEquals("v2", cutover.get("/").body(), "off survives a restart too");
    }

    @Test
    void aPauseSurvivesARestartOfCutoverAndHeldRequestsGoOnAtResume() throws Exception {
        follow(deploy("v1"));
        HttpResponse<String> paused = cutover.admin("POST", "/v1/pause", "{\"timeoutSeconds\": 20, \"maxHeld\": 5}");
        assertEquals(200, paused.statusCode(), paused.body());
        assertTrue(cutover.json(paused.body()).get("persisted").asBoolean(), paused.body());
        cutover.close();
        cutover = TestCutover.start(config(Map.of()), s -> runtime);
        JsonNode p = cutover.status().get("paused");
        assertEquals(20, p.get("timeoutSeconds").asInt(), p.toString());
        assertEquals(5, p.get("maxHeld").asInt(), p.toString());
        CompletableFuture<HttpResponse<String>> held = CompletableFuture.supplyAsync(() -> {
            try {
                return cutover.get("/");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Eventually.value(Duration.ofSeconds(10), "the request to be held",
                () -> cutover.status().get("paused").get("held").asInt(), n -> n == 1);
        assertEquals(200, cutover.admin("POST", "/v1/resume", null).statusCode());
        assertEquals("v1", held.get(10, TimeUnit.SECONDS).body());
        assertTrue(cutover.status().get("paused").isNull());
        cutover.close();
        cutover = TestCutover.start(config(Map.of()), s -> runtime);
        assertEquals("v1", cutover.get("/").body(), "resumed survives a restart too");
    }

    private void awaitInFlight() throws Exception {
        Eventually.value(Duration.ofSeconds(10), "the slow request to arrive",
                () -> cutover.status().get("backends").get(0).get("inFlight").asInt(), n -> n > 0);
    }

    private void awaitStep(String id, String step) throws Exception {
        Eventually.value(Duration.ofSeconds(20), "step " + step,
                () -> cutover.json(cutover.admin("GET", "/v1/deploys/" + id, null).body()),
                d -> DeployFlowTest.stepNames(d).contains(step));
    }
}
