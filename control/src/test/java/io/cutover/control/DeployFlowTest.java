package io.cutover.control;

import io.cutover.control.admin.Json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import io.cutover.proxy.Eventually;
import io.cutover.proxy.TestHttp;
import io.cutover.proxy.TestPorts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deploy flow, the same for every runtime: a subclass says what a version is and how to see
 * which runs of the app exist.
 */
abstract class DeployFlowTest {
    @TempDir
    Path dir;

    protected String appName;
    private List<Integer> ports;
    private TestCutover cutover;
    private final HttpClient http = TestHttp.client();

    /** Runtime-specific app settings (runtime, image or command, ...). */
    abstract Map<String, Object> runtimeConfig();

    /** A deploy body for a healthy version answering {@code v} on /. */
    abstract Map<String, Object> version(String v);

    /** A deploy body for a version whose health check keeps failing. */
    abstract Map<String, Object> failingHealth();

    /** A deploy body for a version that exits at once, printing "boom" first. */
    abstract Map<String, Object> exitingAtOnce();

    /** A deploy body for a healthy version that takes a few seconds to start listening. */
    abstract Map<String, Object> slowToStart(String v);

    /** Deploy ids of every run (running or stopped) of the app that exists now. */
    abstract List<String> runs() throws Exception;

    /** Deploy ids of the runs that are running now. */
    abstract List<String> running() throws Exception;

    /** Removes every run of the app (after a test). */
    abstract void removeAll() throws Exception;

    @BeforeEach
    void start() throws Exception {
        appName = "t" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
        ports = List.of(freePort(), freePort());
        cutover = TestCutover.start(config());
    }

    @AfterEach
    void stop() throws Exception {
        if (cutover != null) {
            cutover.close();
        }
        removeAll();
    }

    Map<String, Object> config() {
        Map<String, Object> c = new HashMap<>(Map.of(
                "cutover.health.path", "/up",
                "cutover.health.interval", "20ms",
                "cutover.health.deadline", "8s",
                "cutover.drain.deadline", "5s",
                "cutover.app.name", appName,
                "cutover.app.ports", ports,
                "cutover.app.stop-timeout", "5s",
                "cutover.state-dir", dir.toString()));
        c.putAll(runtimeConfig());
        return c;
    }

    // ---- the tests ----

    @Test
    void firstDeployGoesToBlueThenASecondUnderLoadFailsNoRequestAndStopsTheFirst() throws Exception {
        JsonNode first = deploy(version("v1"));
        assertSucceeded(first);
        assertEquals("v1", body("/"));
        assertEquals("blue", app().get("active").get("colour").asText());

        JsonNode second;
        List<String> failures;
        try (KeepAliveLoad load = KeepAliveLoad.start(proxy(), 4)) {
            load.awaitRequests(100);
            second = deploy(version("v2"));
            load.awaitVersion("v2");
            failures = load.stop();
        }
        assertSucceeded(second);
        assertEquals(List.of(), failures, "failed requests");
        assertEquals("v2", body("/"));
        assertEquals(List.of("candidate started", "healthy", "switched", "drained", "old version stopped"),
                stepNames(second));
        JsonNode app = app();
        assertEquals("green", app.get("active").get("colour").asText());
        assertNotEquals("running", app.get("previous").get("running").asText());
        assertEquals(List.of(second.get("id").asText()), running());
        String metrics = cutover.admin("GET", "/metrics", null).body();
        assertTrue(metrics.contains("cutover_deploys_total{app=\"" + appName + "\",kind=\"deploy\",outcome=\"succeeded\"} 2.0"), metrics);
    }

    @Test
    void candidateFailingItsHealthCheckIsRemovedAndTrafficStaysUnderLoad() throws Exception {
        String v1 = deploy(version("v1")).get("id").asText();
        JsonNode failed;
        List<String> failures;
        try (KeepAliveLoad load = KeepAliveLoad.start(proxy(), 4)) {
            failed = deploy(failingHealth());
            failures = load.stop();
        }
        assertEquals("failed", failed.get("state").asText());
        assertTrue(failed.get("error").asText().contains("did not pass its health check"), failed.toString());
        assertEquals(List.of(), failures, "failed requests");
        assertEquals("v1", body("/"));
        assertEquals(List.of(v1), runs(), "the candidate is gone, v1 stays");
    }

    @Test
    void candidateThatExitsAtOnceFailsWithoutWaitingForTheDeadlineAndQuotesItsLog() throws Exception {
        deploy(version("v1"));
        JsonNode failed = deploy(exitingAtOnce());
        String error = failed.get("error").asText();
        assertEquals("failed", failed.get("state").asText());
        assertTrue(error.contains("before passing its health check"), error);
        assertTrue(error.contains("exited with code 3") || error.contains("last exit code 3"), error);
        assertTrue(error.contains("boom"), error);
        assertEquals("v1", body("/"));
    }

    @Test
    void rollbackBringsThePreviousVersionBack() throws Exception {
        String v1 = deploy(version("v1")).get("id").asText();
        String v2 = deploy(version("v2")).get("id").asText();
        JsonNode rollback = follow(post("/v1/rollback", Map.of()));
        assertSucceeded(rollback);
        assertEquals("v1", body("/"));
        JsonNode app = app();
        assertEquals(v1, app.get("active").get("deployId").asText());
        assertEquals(v2, app.get("previous").get("deployId").asText());
        assertEquals(List.of(v1), running());
    }

    @Test
    void rollbackAfterAFailedDeployStillFindsThePreviousVersion() throws Exception {
        deploy(version("v1"));
        deploy(version("v2"));
        assertEquals("failed", deploy(exitingAtOnce()).get("state").asText());
        assertSucceeded(follow(post("/v1/rollback", Map.of())));
        assertEquals("v1", body("/"));
    }

    @Test
    void rollbackWorksAfterARestartOfCutover() throws Exception {
        deploy(version("v1"));
        deploy(version("v2"));
        restartCutover();
        assertEquals("v2", body("/"), "routing restored from the state file");
        assertSucceeded(follow(post("/v1/rollback", Map.of())));
        assertEquals("v1", body("/"));
    }

    @Test
    void keepingThePreviousVersionRunningMakesRollbackInstant() throws Exception {
        cutover.close();
        Map<String, Object> conf = new HashMap<>(config());
        conf.put("cutover.app.keep-previous", "running");
        cutover = TestCutover.start(conf);
        String v1 = deploy(version("v1")).get("id").asText();
        JsonNode second = deploy(version("v2"));
        assertTrue(stepNames(second).contains("old version kept running"), second.toString());
        assertTrue(running().contains(v1), "v1 still runs: " + running());

        JsonNode rollback = follow(post("/v1/rollback", Map.of()));
        assertSucceeded(rollback);
        assertTrue(stepNames(rollback).contains("previous version still running"), rollback.toString());
        assertFalse(stepNames(rollback).contains("previous version started"), rollback.toString());
        assertEquals("v1", body("/"));
    }

    @Test
    void twoDeploysStartedTogetherRunOneAfterTheOther() throws Exception {
        deploy(version("v1"));
        JsonNode a = post("/v1/deploy", version("v2"));
        JsonNode b = post("/v1/deploy", version("v3"));
        JsonNode doneA = follow(a);
        JsonNode doneB = follow(b);
        assertSucceeded(doneA);
        assertSucceeded(doneB);
        JsonNode queued = doneB.get("steps").get(0);
        assertEquals("queued", queued.get("name").asText());
        assertTrue(queued.get("detail").asText().contains(a.get("id").asText()), queued.toString());
        assertEquals("v3", body("/"));
        assertEquals(doneA.get("id").asText(), app().get("previous").get("deployId").asText());
    }

    @Test
    void deployThatMustNotWaitIsRefusedWith409NamingTheRunningDeploy() throws Exception {
        deploy(version("v1"));
        JsonNode slow = post("/v1/deploy", slowToStart("v2"));
        Map<String, Object> impatient = new HashMap<>(version("v3"));
        impatient.put("waitForLock", false);
        HttpResponse<String> refused = cutover.admin("POST", "/v1/deploy", json(impatient));
        assertEquals(409, refused.statusCode(), refused.body());
        assertTrue(refused.body().contains(slow.get("id").asText()), refused.body());
        assertSucceeded(follow(slow));
        assertEquals("v2", body("/"));
    }

    @org.junit.jupiter.api.Timeout(180)     // two serve JVMs and the apps' JVMs
    @Test
    void killMinus9DuringADeployThenRestartRestoresTrafficAndLeavesNoOrphan() throws Exception {
        cutover.close();
        cutover = null;
        Path file = dir.resolve("cutover.conf");
        Map<String, Object> conf = new HashMap<>(config());
        conf.put("cutover.listen", "127.0.0.1:0");
        conf.put("cutover.admin", "127.0.0.1:0");
        Files.writeString(file, ConfigFactory.parseMap(conf).root().render(ConfigRenderOptions.concise()));

        String v1;
        String interrupted;
        try (ServeProcess serve = ServeProcess.start(List.of("-Xmx128m"), "--config", file.toString())) {
            String admin = "127.0.0.1:" + serve.adminPort();
            v1 = followVia(admin, postVia(admin, "/v1/deploy", version("v1"))).get("id").asText();
            JsonNode slow = postVia(admin, "/v1/deploy", slowToStart("v2"));
            interrupted = slow.get("id").asText();
            awaitStep(admin, interrupted, "candidate started");
            serve.process().destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            assertTrue(runs().contains(interrupted), "the candidate outlived the crash");
        }
        try (ServeProcess serve = ServeProcess.start(List.of("-Xmx128m"), "--config", file.toString())) {
            HttpResponse<String> r = http.send(TestHttp.request(
                    URI.create("http://127.0.0.1:" + serve.proxyPort() + "/")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals("v1", r.body().trim(), serve.log());
            assertFalse(runs().contains(interrupted), "orphan candidate removed: " + runs());
            assertEquals(List.of(v1), running());
            serve.terminate(30);
        }
    }

    @Test
    void twoCutoversWithTheSameAppNameAndTheirOwnStateDirectoriesNeverTouchEachOthersVersions() throws Exception {
        Map<String, Object> otherConfig = new HashMap<>(config());
        otherConfig.put("cutover.app.ports", List.of(freePort(), freePort()));
        otherConfig.put("cutover.state-dir", dir.resolve("other").toString());
        try (TestCutover other = TestCutover.start(otherConfig)) {
            String a1 = deploy(version("v1")).get("id").asText();
            String b1 = deployOn(other, version("v3"));
            assertEquals("v1", body("/"), "the other cutover's first deploy left this one's version alone");
            assertEquals(List.of(a1, b1), sorted(running(), a1, b1));

            String a2 = deploy(version("v2")).get("id").asText();
            assertEquals("v3", other.get("/").body().trim(), "this cutover's deploy left the other's version alone");
            String b2 = deployOn(other, version("v1"));
            assertEquals("v2", body("/"), "the other cutover's second deploy left this one's version alone");
            assertEquals(List.of(a2, b2), sorted(running(), a2, b2));

            restartCutover();       // its start-up sweep of leftovers
            assertEquals("v2", body("/"));
            assertEquals("v1", other.get("/").body().trim(), "a restart of this cutover left the other's version alone");
            assertEquals(List.of(a2, b2), sorted(running(), a2, b2));
        }
    }

    /** A deploy on another cutover, followed until it succeeds; its id. */
    private static String deployOn(TestCutover other, Map<String, Object> body) throws Exception {
        JsonNode done = other.awaitDeploy(other.deploy(null, json(body)));
        assertSucceeded(done);
        return done.get("id").asText();
    }

    /** The ids given, in their order, if {@code running} holds exactly them; else {@code running} itself. */
    private static List<String> sorted(List<String> running, String... expected) {
        return running.size() == expected.length && running.containsAll(List.of(expected)) ? List.of(expected) : running;
    }

    // ---- helpers ----

    TestCutover cutover() {
        return cutover;
    }

    /** Puts another cutover in place of this test's (closed at the end like it). */
    void replaceCutover(TestCutover other) {
        cutover = other;
    }

    /** Stops cutover and starts it again with the same config (and state directory). */
    void restartCutover() throws Exception {
        cutover.close();
        cutover = null;
        cutover = TestCutover.start(config());
    }

    static void awaitBody(TestCutover c, String expected) throws Exception {
        Eventually.value(Duration.ofSeconds(60), "to be served " + expected, () -> c.get("/").body().trim(),
                expected::equals);
    }

    JsonNode awaitDone(TestCutover c, String id) throws Exception {
        return followVia(c.adminAddress(), Json.mapper().readTree("{\"id\": \"" + id + "\"}"));
    }

    static void assertSucceeded(JsonNode deployment) {
        assertEquals("succeeded", deployment.get("state").asText(), deployment.toString());
    }

    static List<String> stepNames(JsonNode deployment) {
        List<String> names = new ArrayList<>();
        deployment.get("steps").forEach(s -> names.add(s.get("name").asText()));
        return names;
    }

    InetSocketAddress proxy() {
        return new InetSocketAddress("127.0.0.1", cutover.proxyUri("/").getPort());
    }

    private String body(String path) throws Exception {
        return cutover.get(path).body().trim();
    }

    private JsonNode app() throws Exception {
        return cutover.status().get("app");
    }

    private JsonNode deploy(Map<String, Object> body) throws Exception {
        return follow(post("/v1/deploy", body));
    }

    JsonNode post(String path, Map<String, Object> body) throws Exception {
        return postVia(cutover.adminAddress(), path, body);
    }

    JsonNode follow(JsonNode accepted) throws Exception {
        return followVia(cutover.adminAddress(), accepted);
    }

    /** The token of the admin API at {@code admin}: this test's cutover's, or the one made in its state directory. */
    private String tokenOf(String admin) {
        return cutover != null && admin.equals(cutover.adminAddress()) ? cutover.adminToken() : TestAdmin.token(dir);
    }

    private JsonNode postVia(String admin, String path, Map<String, Object> body) throws Exception {
        HttpResponse<String> r = http.send(TestAdmin.request(admin, tokenOf(admin), "POST", path, json(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(202, r.statusCode(), r.body());
        return Json.mapper().readTree(r.body());
    }

    private JsonNode followVia(String admin, JsonNode accepted) throws Exception {
        return Eventually.value(Duration.ofSeconds(120), "the deploy to finish",
                () -> getVia(admin, "/v1/deploys/" + accepted.get("id").asText()),
                d -> d.get("state").asText().equals("succeeded") || d.get("state").asText().equals("failed"));
    }

    private void awaitStep(String admin, String id, String step) throws Exception {
        Eventually.value(Duration.ofSeconds(60), "step " + step, () -> getVia(admin, "/v1/deploys/" + id),
                d -> stepNames(d).contains(step));
    }

    private JsonNode getVia(String admin, String path) throws Exception {
        return Json.mapper().readTree(http.send(TestAdmin.request(admin, tokenOf(admin), "GET", path, null).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private static String json(Map<String, Object> body) throws IOException {
        return Json.mapper().writeValueAsString(body);
    }

    static int freePort() throws IOException {
        return TestPorts.free();
    }
}
