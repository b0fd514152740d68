package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.proxy.Eventually;
import io.cutover.proxy.TestBackend;
import io.cutover.proxy.TestHttp;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Canary releases: the candidate takes a growing share of requests while the proxy compares it
 * with the stable version, and is promoted, or aborted by itself. A fake runtime "runs" v1 and
 * v2 on the app's two ports, where test backends answer; clients keep sending requests all along.
 */
class CanaryReleaseTest {
    @TempDir
    java.nio.file.Path dir;

    private final FakeRuntime runtime = new FakeRuntime();
    private TestBackend v1;
    private TestBackend v2;
    private TestCutover cutover;
    private Load load;

    @BeforeEach
    void start() throws Exception {
        v1 = TestBackend.start("v1");
        v2 = TestBackend.start("v2");
        cutover = TestCutover.start(config(), s -> runtime);
        assertEquals("succeeded", follow(deploy("v1", "")).get("state").asText());
    }

    @AfterEach
    void stop() throws Exception {
        if (load != null) {
            load.stop();
        }
        cutover.close();
        v1.close();
        v2.close();
    }

    private Map<String, Object> config() {
        Map<String, Object> c = new HashMap<>(Map.of(
                "cutover.app.name", "shop",
                "cutover.app.runtime", "process",
                "cutover.app.ports", List.of(v1.port(), v2.port()),
                "cutover.health.path", "/health",
                "cutover.drain.deadline", "10s",
                "cutover.state-dir", dir.toString()));
        // the error test decides how many errors are enough; 20 requests are enough here to pass (a slow machine sends few)
        c.put("cutover.app.canary.min-requests", "20");
        c.put("cutover.app.canary.failure-limit", "2");
        // a canary still inconclusive after 3 s at a share is held (the windows go on, and decide)
        c.put("cutover.app.canary.progress-deadline", "3s");
        // only errors decide here: the latency of two test backends on a shared machine is noise (none
        // is slower than the floor; a wide latency margin lets 20 requests pass latency)
        c.put("cutover.app.canary.latency-floor", "10s");
        c.put("cutover.app.canary.latency-ratio", "10");
        return c;
    }

    private String deploy(String v, String canary) throws Exception {
        return cutover.deploy(null, "{\"command\": [\"" + v + "\"]" + canary + "}");
    }

    private JsonNode follow(String id) throws Exception {
        return cutover.awaitDeploy(id);
    }

    /**
     * Clients, each its own address (X-Forwarded-For from loopback, a trusted proxy), sending
     * requests until stopped (at most a minute). Records who answered and anything that failed
     * other than v2's own 500s.
     */
    private final class Load {
        final Map<String, Integer> answeredBy = new ConcurrentHashMap<>();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final AtomicBoolean stop = new AtomicBoolean();
        final List<Thread> threads = new ArrayList<>();
        final CountDownLatch done;

        Load(int clients) {
            this(clients, 0);
        }

        /** @param pauseMs how long each client waits after each answer: a few requests a second in all */
        Load(int clients, long pauseMs) {
            done = new CountDownLatch(clients);
            HttpClient http = TestHttp.client();
            URI uri = URI.create("http://127.0.0.1:" + cutover.cutover().proxyAddress().getPort() + "/");
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (int c = 0; c < clients; c++) {
                int client = c;
                Thread t = new Thread(() -> {
                    try {
                        for (int i = 0; !stop.get() && System.nanoTime() < until; i++) {
                            String from = "10.9." + client + "." + (i % 200);    // a new client address each time
                            try {
                                HttpResponse<String> r = http.send(TestHttp.request(uri)
                                        .header("X-Forwarded-For", from).build(), HttpResponse.BodyHandlers.ofString());
                                answeredBy.merge(r.body(), 1, Integer::sum);
                                if (r.statusCode() != 200 && !(r.statusCode() == 500 && r.body().equals("v2"))) {
                                    failures.add(r.statusCode() + " " + r.body());
                                }
                            } catch (IOException e) {
                                failures.add(e.toString());
                            }
                            if (pauseMs > 0) {
                                Thread.sleep(pauseMs);
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        done.countDown();
                    }
                }, "canary-load-" + c);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }

        void stop() throws InterruptedException {
            stop.set(true);
            assertTrue(done.await(30, TimeUnit.SECONDS), "the load stopped");
        }
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

    @Test
    void aCandidateThatAnswers500ToAFifthOfItsRequestsIsAbortedByItselfAndTheStableVersionNeverStopped() throws Exception {
        v2.failEvery(5);
        load = new Load(4);
        JsonNode d = follow(deploy("v2", ", \"canary\": [20, 50, 100], \"canaryIntervalMs\": 500"));
        assertEquals("failed", d.get("state").asText(), d.toString());
        String error = d.get("error").asText();
        assertTrue(error.startsWith("canary aborted: errors worse than the stable version's at 20%: errors "), error);
        assertTrue(error.contains("reached the abort bound"), "what the test concluded: " + error);
        assertTrue(error.contains("stable ") && error.contains("errors"), "the figures that failed it: " + error);
        assertEquals(1, steps(d, "canary window").stream().filter(w -> w.startsWith("aborted at 20%")).count(),
                d.toString());
        assertFalse(steps(d, "canary share").stream().anyMatch(s -> s.startsWith("50%")), "it never went past 20%");
        assertEquals(1, steps(d, "canary pulled back").size(), d.toString());
        load.stop();

        assertTrue(runtime.stopped.stream().noneMatch(i -> i.release().describe().equals("v1")), "v1 never stopped");
        assertTrue(runtime.removed.stream().anyMatch(i -> i.release().describe().equals("v2")), "the candidate was removed");
        assertEquals(List.of(), List.copyOf(load.failures), "no request failed but the canary's own 500s");
        assertTrue(load.answeredBy.getOrDefault("v2", 0) > 0, "the canary took requests: " + load.answeredBy);
        JsonNode status = cutover.status();
        assertEquals(v1.target().toString(), status.get("active").asText());
        assertTrue(status.get("canary").isNull(), status.toString());
        for (int i = 0; i < 20; i++) {
            assertEquals("v1", cutover.get("/").body(), "every request goes to the stable version");
        }
        assertTrue(cutover.admin("GET", "/metrics", null).body()
                .contains("cutover_canaries_total{app=\"shop\",outcome=\"aborted\"} 1.0"));
    }

    @Test
    void aHealthyCandidateIsPromotedStepByStepAndNoRequestFails() throws Exception {
        load = new Load(4);
        JsonNode d = follow(deploy("v2", ", \"canary\": [20, 50, 100], \"canaryIntervalMs\": 500"));
        assertEquals("succeeded", d.get("state").asText(), d.toString());
        List<String> windows = steps(d, "canary window");
        assertTrue(windows.stream().anyMatch(w -> w.startsWith("passed at 20%")), windows.toString());
        assertTrue(windows.stream().anyMatch(w -> w.startsWith("passed at 50%")), windows.toString());
        assertTrue(windows.stream().noneMatch(w -> w.startsWith("failed") || w.startsWith("aborted")), windows.toString());
        assertEquals(1, steps(d, "promoted").size(), d.toString());
        load.stop();

        assertEquals(List.of(), List.copyOf(load.failures));
        assertEquals(v2.target().toString(), cutover.status().get("active").asText());
        assertEquals("v2", cutover.get("/").body());
        assertTrue(runtime.stopped.stream().anyMatch(i -> i.release().describe().equals("v1")), "v1 retired");
    }

    @Test
    void aLowTrafficCanaryAnswering500ToEveryFifthRequestIsAbortedByItself() throws Exception {
        v2.failEvery(5);
        load = new Load(1, 250);     // about 4 requests a second, 2 of them to the canary
        JsonNode d = follow(deploy("v2", ", \"canary\": [50, 100], \"canaryIntervalMs\": 1000"));
        assertEquals("failed", d.get("state").asText(), d.toString());
        String error = d.get("error").asText();
        assertTrue(error.startsWith("canary aborted: errors worse than the stable version's at 50%: errors "), error);
        assertTrue(error.contains("reached the abort bound 3.4"), error);
        List<String> windows = steps(d, "canary window");
        windows.forEach(w -> System.out.println("canary window  " + w));     // the README's worked example
        assertTrue(windows.get(windows.size() - 1).startsWith("aborted at 50%"), windows.toString());
        int canaryRequests = load.answeredBy.getOrDefault("v2", 0);
        assertTrue(canaryRequests < 100, "decided on a few dozen canary requests, not hundreds: " + load.answeredBy);
        load.stop();
        assertEquals(List.of(), List.copyOf(load.failures), "no request failed but the canary's own 500s");
        assertEquals(v1.target().toString(), cutover.status().get("active").asText());
    }

    @Test
    void aHealthyLowTrafficCanaryIsPromoted() throws Exception {
        load = new Load(1, 250);
        JsonNode d = follow(deploy("v2", ", \"canary\": [50, 100], \"canaryIntervalMs\": 1000"));
        assertEquals("succeeded", d.get("state").asText(), d.toString());
        List<String> windows = steps(d, "canary window");
        windows.forEach(w -> System.out.println("canary window  " + w));
        assertTrue(windows.get(windows.size() - 1).startsWith("passed at 50%: errors 0/"), windows.toString());
        assertTrue(windows.stream().noneMatch(w -> w.startsWith("failed") || w.startsWith("aborted")), windows.toString());
        load.stop();
        assertEquals(List.of(), List.copyOf(load.failures));
        assertEquals(v2.target().toString(), cutover.status().get("active").asText());
    }

    @Test
    void aCanaryWithNoTrafficIsHeldAtTheProgressDeadlineUntilPromotedByHand() throws Exception {
        String id = deploy("v2", ", \"canary\": [10, 100], \"canaryIntervalMs\": 500");
        JsonNode canary = Eventually.value(Duration.ofSeconds(30), "the canary held", () -> cutover.status().get("canary"),
                c -> !c.isNull() && c.get("held").asBoolean());
        assertEquals(10, canary.get("share").asInt());
        JsonNode running = cutover.json(cutover.admin("GET", "/v1/deploys/" + id, null).body());
        assertEquals("running", running.get("state").asText(), "the deploy waits for a human: " + running);
        assertEquals(List.of("held at 10%: inconclusive at the progress deadline (3 s); decide with `cutover canary promote`"
                + " or `cutover canary abort`"), steps(running, "canary held"));
        assertEquals(202, cutover.admin("POST", "/v1/canary", "{\"action\": \"promote\"}").statusCode());
        JsonNode d = follow(id);
        assertEquals("succeeded", d.get("state").asText(), d.toString());
        assertTrue(steps(d, "promoted").get(0).startsWith("promoted by hand at 10%"), d.toString());
        assertEquals(v2.target().toString(), cutover.status().get("active").asText());
    }

    @Test
    void aDeployMayAskForACanaryStillInconclusiveAtTheDeadlineToBeAborted() throws Exception {
        JsonNode d = follow(deploy("v2", ", \"canary\": [10, 100], \"canaryIntervalMs\": 500, "
                + "\"canaryOnDeadline\": \"abort\""));
        assertEquals("failed", d.get("state").asText(), d.toString());
        assertTrue(d.get("error").asText().startsWith("canary aborted: no conclusive window at 10% within 3 s: errors 0/0"),
                d.toString());
        HttpResponse<String> r = cutover.admin("POST", "/v1/deploy", "{\"command\": [\"v2\"], \"canaryOnDeadline\": \"ask\"}");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("canaryOnDeadline must be hold or abort"), r.body());
    }

    @Test
    void aCanaryCanBePromotedByHandAndAnotherAbortedByHandAndStatusShowsItsShare() throws Exception {
        load = new Load(2);
        // windows of a minute: nothing but the hand moves these canaries
        String id = deploy("v2", ", \"canary\": [10, 100], \"canaryIntervalMs\": 60000");
        JsonNode canary = awaitCanary();
        assertEquals(10, canary.get("share").asInt());
        assertEquals(v2.target().toString(), canary.get("target").asText());
        assertEquals(List.of(10, 100), List.of(canary.get("steps").get(0).asInt(), canary.get("steps").get(1).asInt()));
        // the cookie a new client is given is signed with the app's key, kept in the state directory
        String cookie = cutover.get("/").headers().firstValue("set-cookie").orElseThrow();
        String value = cookie.substring(cookie.indexOf('=') + 1, cookie.indexOf(';'));
        byte[] key = java.nio.file.Files.readAllBytes(dir.resolve("shop.canary-key"));
        assertTrue(new io.cutover.proxy.CanaryCookie("shop", key).bucket(value) >= 0, cookie);
        assertEquals(202, cutover.admin("POST", "/v1/canary", "{\"action\": \"set\", \"percent\": 30}").statusCode());
        Eventually.value(Duration.ofSeconds(20), "the share to move to 30%", () -> cutover.status().get("canary"),
                c -> !c.isNull() && c.get("share").asInt() == 30);
        assertEquals(202, cutover.admin("POST", "/v1/canary", "{\"action\": \"promote\"}").statusCode());
        JsonNode d = follow(id);
        assertEquals("succeeded", d.get("state").asText(), d.toString());
        assertTrue(steps(d, "promoted").get(0).startsWith("promoted by hand at 30%"), d.toString());
        assertEquals(v2.target().toString(), cutover.status().get("active").asText());

        id = deploy("v3", ", \"canary\": [10, 100], \"canaryIntervalMs\": 60000");     // on v1's port: v1 answers
        awaitCanary();
        assertEquals(202, cutover.admin("POST", "/v1/canary", "{\"action\": \"abort\"}").statusCode());
        d = follow(id);
        assertEquals("failed", d.get("state").asText());
        assertTrue(d.get("error").asText().contains("aborted by hand"), d.toString());
        assertEquals(v2.target().toString(), cutover.status().get("active").asText());
        load.stop();
        assertEquals(List.of(), List.copyOf(load.failures));
    }

    @Test
    void steeringWithNoCanaryRunningIsRefusedAndBadStepsAreRefusedBeforeAnythingStarts() throws Exception {
        HttpResponse<String> r = cutover.admin("POST", "/v1/canary", "{\"action\": \"promote\"}");
        assertEquals(409, r.statusCode());
        assertTrue(r.body().contains("no canary running"), r.body());
        r = cutover.admin("POST", "/v1/deploy", "{\"command\": [\"v2\"], \"canary\": [50, 20]}");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("steps must grow"), r.body());
        r = cutover.admin("POST", "/v1/deploy", "{\"command\": [\"v2\"], \"canary\": [10, 50]}");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("last step must be 100"), r.body());
        assertEquals(1, runtime.started.size(), "nothing started but v1");
    }

    private JsonNode awaitCanary() throws Exception {
        return Eventually.value(Duration.ofSeconds(20), "a canary", () -> cutover.status().get("canary"),
                c -> !c.isNull() && c.get("share").asInt() > 0);
    }
}
