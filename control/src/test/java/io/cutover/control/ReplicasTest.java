package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.control.admin.Json;
import io.cutover.control.deploy.VersionApp;
import io.cutover.proxy.Eventually;
import io.cutover.proxy.TestPorts;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Several replicas per version, with the process runtime: each replica is a JVM running {@link VersionApp}. */
class ReplicasTest {
    @TempDir
    Path dir;

    private String appName;
    private TestCutover cutover;

    @AfterEach
    void stop() throws Exception {
        if (cutover != null) {
            cutover.close();
        }
        for (ProcessHandle h : mine()) {
            h.destroyForcibly();
            h.onExit().get();
        }
    }

    private void start(int replicas, Map<String, Object> more) throws Exception {
        appName = "r" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
        List<Integer> blue = new ArrayList<>();
        List<Integer> green = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            blue.add(TestPorts.free());
            green.add(TestPorts.free());
        }
        Map<String, Object> c = new HashMap<>(Map.of(
                "cutover.health.path", "/up",
                "cutover.health.interval", "20ms",
                "cutover.health.deadline", "15s",     // room for 2-3 JVMs starting at once under load
                "cutover.drain.deadline", "5s",
                "cutover.app.name", appName,
                "cutover.app.runtime", "process",
                "cutover.app.ports", Map.of("blue", blue, "green", green),
                "cutover.app.replicas", replicas,
                "cutover.app.stop-timeout", "5s",
                "cutover.state-dir", dir.toString()));
        c.putAll(more);
        cutover = TestCutover.start(c);
    }

    private static List<String> java() {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), VersionApp.class.getName());
    }

    private static Map<String, Object> version(String v) {
        return Map.of("command", java(), "env", Map.of("VERSION", v), "release", v);
    }

    /** A version whose replica {@code sick} answers 500 on its health path: it never becomes healthy. */
    private static Map<String, Object> sickReplica(String v, int sick) {
        return Map.of("command", List.of("sh", "-c", "[ \"$CUTOVER_REPLICA\" = " + sick + " ] && export HEALTH_STATUS=500; exec "
                + String.join(" ", java())), "env", Map.of("VERSION", v));
    }

    /** A version each replica of which fails its health check while {@code dir/sick-REPLICA} exists. */
    private Map<String, Object> sickWhileFileExists(String v) {
        return Map.of("command", List.of("sh", "-c", "SICK_FILE=" + dir + "/sick-$CUTOVER_REPLICA exec "
                + String.join(" ", java())), "env", Map.of("VERSION", v));
    }

    private JsonNode deploy(Map<String, Object> body) throws Exception {
        HttpResponse<String> r = cutover.admin("POST", "/v1/deploy", Json.mapper().writeValueAsString(body));
        assertEquals(202, r.statusCode(), r.body());
        return cutover.awaitDeploy(cutover.json(r.body()).get("id").asText());
    }

    private InetSocketAddress proxy() {
        return new InetSocketAddress("127.0.0.1", cutover.proxyUri("/").getPort());
    }

    @Test
    void aDeployOfThreeReplicasUnderLoadFailsNoRequestAndEndsWithThreeNewLiveAndTheOldThreeStopped() throws Exception {
        start(3, Map.of());
        JsonNode first = deploy(version("v1"));
        assertEquals("succeeded", first.get("state").asText(), first.toString());
        JsonNode second;
        List<String> failures;
        try (KeepAliveLoad load = KeepAliveLoad.withPosts(proxy(), 6)) {
            load.awaitRequests(200);
            second = deploy(version("v2"));
            load.awaitVersion("v2");
            load.awaitRequests(load.requests() + 300);
            failures = load.stop();
        }
        assertEquals("succeeded", second.get("state").asText(), second.toString());
        assertEquals(List.of(), failures, "failed requests");
        String v2 = second.get("id").asText();
        assertEquals(List.of(v2, v2, v2), running(), "three replicas of v2 run, none of v1");

        JsonNode status = cutover.status();
        JsonNode active = status.get("app").get("active");
        assertEquals(3, active.get("replicas").size(), active.toString());
        active.get("replicas").forEach(r -> assertEquals("running", r.get("running").asText(), active.toString()));
        assertEquals("running", active.get("running").asText());
        JsonNode previous = status.get("app").get("previous");
        assertEquals(3, previous.get("replicas").size(), previous.toString());
        previous.get("replicas").forEach(r -> assertNotEquals("running", r.get("running").asText(), previous.toString()));
        JsonNode backend = status.get("backends").get(0);
        assertEquals(3, backend.get("replicas").size(), backend.toString());
        for (int k = 0; k < 3; k++) {
            JsonNode r = backend.get("replicas").get(k);
            assertEquals(active.get("replicas").get(k).get("target").asText(), r.get("target").asText());
            assertTrue(r.get("up").asBoolean(), backend.toString());
            assertTrue(r.get("requests").asLong() > 0, "each replica took requests: " + backend);
        }
        // the replicas' gauges follow the live versions on the watcher's next round (every second)
        List<String> rows = new ArrayList<>();
        for (int k = 1; k <= 3; k++) {
            String target = active.get("replicas").get(k - 1).get("target").asText();
            rows.add("cutover_replica_up{app=\"" + appName + "\",replica=\"" + k + "\",target=\"" + target
                    + "\",version=\"v2\"} 1.0");
        }
        Eventually.value(Duration.ofSeconds(10), "the replicas' gauges to show v2's three replicas up",
                () -> cutover.admin("GET", "/metrics", null).body(), metrics -> rows.stream().allMatch(metrics::contains));
    }

    @Test
    void theGateRefusesASetOneReplicaOfWhichNeverBecomesHealthyRemovingItWhileTheOldSetServes() throws Exception {
        start(2, Map.of());
        String v1 = deploy(version("v1")).get("id").asText();
        JsonNode failed;
        List<String> failures;
        try (KeepAliveLoad load = KeepAliveLoad.start(proxy(), 2)) {
            failed = deploy(sickReplica("v2", 2));
            failures = load.stop();
        }
        assertEquals("failed", failed.get("state").asText(), failed.toString());
        String error = failed.get("error").asText();
        assertTrue(error.contains("replica 2 of 2") && error.contains("did not pass its health check"), error);
        assertEquals(List.of(), failures);
        assertEquals(List.of(v1, v1), running(), "the candidate set is gone, v1's two replicas stay");
        assertEquals("v1", cutover.get("/").body().trim());
        assertEquals(v1, cutover.status().get("app").get("active").get("deployId").asText());
    }

    @Test
    void aRollbackFlipsBackToTheWarmPreviousSetOfReplicas() throws Exception {
        start(2, Map.of("cutover.app.keep-previous", "running"));
        String v1 = deploy(version("v1")).get("id").asText();
        String v2 = deploy(version("v2")).get("id").asText();
        List<String> both = new ArrayList<>(List.of(v1, v1, v2, v2));
        both.sort(null);
        assertEquals(both, running().stream().sorted().toList(), "v1 kept running beside v2");
        HttpResponse<String> r = cutover.admin("POST", "/v1/rollback", "{}");
        assertEquals(202, r.statusCode(), r.body());
        JsonNode back = cutover.awaitDeploy(cutover.json(r.body()).get("id").asText());
        assertEquals("succeeded", back.get("state").asText(), back.toString());
        assertTrue(back.toString().contains("previous version still running"), back.toString());
        assertEquals("v1", cutover.get("/").body().trim());
        JsonNode status = cutover.status();
        assertEquals(v1, status.get("app").get("active").get("deployId").asText());
        JsonNode backend = status.get("backends").get(0);
        assertEquals(2, backend.get("replicas").size(), backend.toString());
        assertEquals(status.get("app").get("active").get("replicas").get(1).get("target").asText(),
                backend.get("replicas").get(1).get("target").asText());
    }

    @Test
    void aReplicaKilledMidRunFailsNoIdempotentRequestAndStatusShowsItDown() throws Exception {
        start(3, Map.of());
        deploy(version("v1"));
        JsonNode replica = cutover.status().get("app").get("active").get("replicas").get(1);
        List<String> failures;
        try (KeepAliveLoad load = KeepAliveLoad.start(proxy(), 6)) {
            load.awaitRequests(200);
            ProcessHandle.of(Long.parseLong(replica.get("handle").asText())).orElseThrow().destroyForcibly();
            JsonNode down = Eventually.value(Duration.ofSeconds(20), "replica 2 to be down", () -> cutover.status()
                    .get("backends").get(0).get("replicas").get(1), r -> !r.get("up").asBoolean()
                    && r.get("down").asText().contains("exited"));
            assertEquals(replica.get("target").asText(), down.get("target").asText());
            load.awaitRequests(load.requests() + 300);
            failures = load.stop();
        }
        // The kill may land between the replica's head and its body (the JDK's HttpServer writes
        // them apart): that one answer is cut after its head reached the client, which no proxy
        // can take back. Every other request, the ones that reach the dead replica after, is retried.
        List<String> notCutMidAnswer = failures.stream()
                .filter(f -> !f.matches("java\\.io\\.EOFException: body cut after 0 of \\d+ bytes")).toList();
        assertEquals(List.of(), notCutMidAnswer, "failed requests");
        assertTrue(failures.size() <= 6, "at most one answer cut per client: " + failures);
        assertTrue(cutover.status().get("app").get("active").get("running").asText().startsWith("2 of 3 replicas running"),
                cutover.status().toString());
    }

    @Test
    void aReplicaFailingItsHealthCheckLeavesTheSetUntilItPassesAgain() throws Exception {
        start(2, Map.of());
        deploy(sickWhileFileExists("v1"));
        Path sick = Files.writeString(dir.resolve("sick-2"), "sick", StandardCharsets.UTF_8);
        JsonNode down = Eventually.value(Duration.ofSeconds(20), "replica 2 to be down", () -> cutover.status()
                .get("backends").get(0).get("replicas").get(1), r -> !r.get("up").asBoolean());
        assertTrue(down.get("down").asText().contains("health check"), down.toString());
        assertTrue(cutover.status().get("backends").get(0).get("replicas").get(0).get("up").asBoolean());
        Files.delete(sick);
        Eventually.value(Duration.ofSeconds(20), "replica 2 to be up again", () -> cutover.status()
                .get("backends").get(0).get("replicas").get(1), r -> r.get("up").asBoolean());
    }

    @Test
    void aDeployMayAskForAnotherNumberOfReplicasAndOneTheAppsPortsCannotGiveIsRefused() throws Exception {
        start(1, Map.of());
        deploy(version("v1"));
        Map<String, Object> three = new HashMap<>(version("v2"));
        three.put("replicas", 3);
        JsonNode d = deploy(three);
        assertEquals("succeeded", d.get("state").asText(), d.toString());
        assertEquals(3, cutover.status().get("backends").get(0).get("replicas").size());
        Map<String, Object> four = new HashMap<>(version("v3"));
        four.put("replicas", 4);
        HttpResponse<String> r = cutover.admin("POST", "/v1/deploy", Json.mapper().writeValueAsString(four));
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("lists 3 ports"), r.body());
    }

    /** Deploy ids of the app's processes that run now. */
    private List<String> running() throws Exception {
        List<String> ids = new ArrayList<>();
        for (ProcessHandle h : mine()) {
            ids.add(environment(h).get("CUTOVER_DEPLOY_ID"));
        }
        return ids;
    }

    private List<ProcessHandle> mine() {
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            return all.filter(h -> appName != null && appName.equals(environment(h).get("CUTOVER_APP"))).toList();
        }
    }

    private static Map<String, String> environment(ProcessHandle h) {
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(h.pid()), "environ"));
            Map<String, String> env = new HashMap<>();
            for (String kv : new String(raw, StandardCharsets.UTF_8).split("\0")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    env.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
            return env;
        } catch (Exception e) {
            return Map.of();
        }
    }
}
