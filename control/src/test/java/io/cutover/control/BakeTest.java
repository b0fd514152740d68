package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.proxy.Eventually;
import io.cutover.proxy.TestBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bake after a deploy's flip, decided on a fake runtime: v1 and v2 "run" on the app's two
 * ports, where in-process backends answer; v2 answers 500 to some of its requests only once it
 * has any (after the flip: the health checks go elsewhere).
 */
class BakeTest {
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
    }

    @AfterEach
    void stop() {
        if (cutover != null) {
            cutover.close();
        }
        v1.close();
        v2.close();
    }

    /** Cutover with v1 deployed, keeping the previous version as {@code keepPrevious} says. */
    private void startWithV1(String keepPrevious) throws Exception {
        Map<String, Object> c = new HashMap<>(Map.of(
                "cutover.app.name", "shop",
                "cutover.app.runtime", "process",
                "cutover.app.ports", List.of(v1.port(), v2.port()),
                "cutover.app.keep-previous", keepPrevious,
                "cutover.drain.deadline", "10s",
                "cutover.state-dir", dir.toString()));
        // windows of 300 ms; latency is judged after 20 requests a side, but only errors decide
        // here: the latency of two test backends on a shared machine is noise
        c.put("cutover.app.canary.interval", "300ms");
        c.put("cutover.app.canary.min-requests", "20");
        c.put("cutover.app.canary.latency-floor", "10s");
        cutover = TestCutover.start(c, s -> runtime);
        assertEquals("succeeded", cutover.awaitDeploy(deploy("v1", "")).get("state").asText());
    }

    private String deploy(String v, String extra) throws Exception {
        return cutover.deploy(null, "{\"command\": [\"" + v + "\"]" + extra + "}");
    }

    private static List<String> steps(JsonNode d, String name) {
        List<String> out = new ArrayList<>();
        d.get("steps").forEach(s -> {
            if (s.get("name").asText().equals(name)) {
                out.add(s.get("detail").asText());
            }
        });
        return out;
    }

    private static List<String> stepNames(JsonNode d) {
        List<String> out = new ArrayList<>();
        d.get("steps").forEach(s -> out.add(s.get("name").asText()));
        return out;
    }

    private java.net.InetSocketAddress proxy() {
        return new java.net.InetSocketAddress("127.0.0.1", cutover.cutover().proxyAddress().getPort());
    }

    @Test
    void aVersionThatFailsAfterTheFlipIsRolledBackUnderLoadAndNoRequestFailsButItsOwn() throws Exception {
        startWithV1("stopped");
        v2.failEvery(3);
        JsonNode d;
        List<String> failures;
        try (KeepAliveLoad load = KeepAliveLoad.withPosts(proxy(), 4)) {
            load.awaitRequests(200);
            d = cutover.awaitDeploy(deploy("v2", ", \"bakeMs\": 30000"));
            int after = load.requests();
            load.awaitRequests(after + 200);     // v1 answers again
            load.stop();
            failures = load.allFailures();
        }
        assertEquals("failed", d.get("state").asText(), d.toString());
        String error = d.get("error").asText();
        assertTrue(error.matches("rolled back after \\d+ s: errors worse than before the flip: errors \\d+/\\d+ vs before the flip "
                + "\\d+/\\d+: log-likelihood ratio .* reached the abort bound .*"), error);
        assertTrue(error.contains("; new version ") && error.contains("; before the flip "), error);
        assertTrue(steps(d, "baking").get(0).startsWith("v2 for 30 s, judged every 300 ms against v1: its "), d.toString());
        assertTrue(steps(d, "bake window").stream().anyMatch(w -> w.startsWith("roll back after ")), d.toString());
        assertTrue(steps(d, "rolled back").get(0).startsWith("the bake found v2 worse after "), d.toString());
        assertEquals(1, steps(d, "new version stopped").size(), d.toString());
        List<String> names = stepNames(d);
        assertTrue(names.indexOf("switched") < names.indexOf("baking")
                && names.indexOf("baking") < names.indexOf("rolled back"), names.toString());

        assertFalse(failures.isEmpty(), "v2 answered some requests with 500");
        assertTrue(failures.stream().allMatch(f -> f.equals("status 500: v2")),
                "no request failed but the bad version's own: " + failures);

        JsonNode status = cutover.status();
        assertEquals(v1.target().toString(), status.get("active").asText());
        assertTrue(status.get("bake").isNull(), status.toString());
        assertEquals("v1", status.get("app").get("active").get("release").asText(), status.toString());
        assertEquals("v2", status.get("app").get("previous").get("release").asText(), status.toString());
        assertTrue(runtime.stopped.stream().anyMatch(i -> i.release().describe().equals("v2")), "v2 stopped");
        assertTrue(runtime.stopped.stream().noneMatch(i -> i.release().describe().equals("v1")), "v1 never stopped");
        for (int i = 0; i < 10; i++) {
            assertEquals("v1", cutover.get("/").body());
        }
    }

    @Test
    void aHealthyReleasePassesItsBakeAndOnlyThenIsThePreviousVersionStopped() throws Exception {
        startWithV1("stopped");
        JsonNode d;
        List<String> failures;
        try (KeepAliveLoad load = KeepAliveLoad.withPosts(proxy(), 2)) {
            load.awaitRequests(100);
            d = cutover.awaitDeploy(deploy("v2", ", \"bakeMs\": 1500"));
            failures = load.stop();
        }
        assertEquals("succeeded", d.get("state").asText(), d.toString());
        assertEquals(List.of(), failures);
        List<String> names = stepNames(d);
        assertTrue(names.indexOf("baking") < names.indexOf("bake passed")
                && names.indexOf("bake passed") < names.indexOf("old version stopped"), names.toString());
        assertTrue(steps(d, "bake window").size() >= 2, d.toString());
        assertTrue(steps(d, "bake window").stream().noneMatch(w -> w.startsWith("roll back") || w.startsWith("failed")),
                d.toString());
        assertTrue(steps(d, "bake passed").get(0).matches("after [1-9][0-9]* s: .*"), d.toString());     // 1.5 s, rounded down, or later on a busy machine
        assertTrue(runtime.stopped.stream().anyMatch(i -> i.release().describe().equals("v1")), "v1 stopped");
        assertEquals(v2.target().toString(), cutover.status().get("active").asText());
    }

    @Test
    void aHealthyReleasePassesItsBakeAndThePreviousVersionIsKeptRunningWhenKeepPreviousSaysSo() throws Exception {
        startWithV1("running");
        JsonNode d = cutover.awaitDeploy(deploy("v2", ", \"bakeMs\": 1000"));
        assertEquals("succeeded", d.get("state").asText(), d.toString());
        assertEquals(1, steps(d, "bake passed").size(), d.toString());
        assertEquals(1, steps(d, "old version kept running").size(), d.toString());
        assertTrue(runtime.stopped.isEmpty(), "nothing stopped: " + runtime.stopped);
        assertFalse(cutover.status().get("app").get("previousStopsAt").isNull());
    }

    @Test
    void aRollbackDuringABakeEndsItAndGoesBackToTheWarmPreviousVersionAndStatusShowedTheBake() throws Exception {
        startWithV1("stopped");
        String id = deploy("v2", ", \"bakeMs\": 60000");
        JsonNode bake = Eventually.value(Duration.ofSeconds(20), "a bake in the status",
                () -> cutover.status().get("bake"), b -> !b.isNull() && b.get("windows").size() > 0);
        assertEquals(v2.target().toString(), bake.get("target").asText());
        assertEquals(v1.target().toString(), bake.get("previous").asText());
        assertEquals(60000, bake.get("lengthMs").asLong());
        // the bake holds the deploy lock: another deploy that will not wait is refused
        var refused = cutover.admin("POST", "/v1/deploy", "{\"command\": [\"v3\"], \"waitForLock\": false}");
        assertEquals(409, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains("deploy " + id), refused.body());

        var r = cutover.admin("POST", "/v1/rollback", "{\"waitForLock\": false}");
        assertEquals(202, r.statusCode(), r.body());
        String rollback = cutover.json(r.body()).get("id").asText();
        JsonNode d = cutover.awaitDeploy(id);
        assertEquals("failed", d.get("state").asText(), d.toString());
        assertTrue(d.get("error").asText().matches("bake ended after \\d+ s: rollback " + rollback
                + " was asked for"), d.get("error").asText());
        assertTrue(steps(d, "old version stopped").isEmpty(), "v1 kept running for the rollback: " + d);
        JsonNode back = cutover.awaitDeploy(rollback);
        assertEquals("succeeded", back.get("state").asText(), back.toString());
        assertEquals(List.of("v1"), steps(back, "previous version still running"), back.toString());
        JsonNode status = cutover.status();
        assertEquals(v1.target().toString(), status.get("active").asText());
        assertTrue(status.get("bake").isNull(), status.toString());
        assertTrue(runtime.stopped.stream().noneMatch(i -> i.release().describe().equals("v1")), "v1 never stopped");
    }
}
