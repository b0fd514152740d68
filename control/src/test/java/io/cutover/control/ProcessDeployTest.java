package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.control.deploy.VersionApp;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The deploy flow with the process runtime: each version is a JVM running {@link VersionApp}. */
class ProcessDeployTest extends DeployFlowTest {

    private static List<String> command() {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), VersionApp.class.getName());
    }

    @Override
    Map<String, Object> runtimeConfig() {
        return Map.of("cutover.app.runtime", "process");
    }

    private static Map<String, Object> run(List<String> command, Map<String, String> env) {
        Map<String, Object> body = new HashMap<>();
        body.put("command", command);
        body.put("env", env);
        return body;
    }

    @Override
    Map<String, Object> version(String v) {
        return run(command(), Map.of("VERSION", v));
    }

    @Override
    Map<String, Object> failingHealth() {
        return run(command(), Map.of("VERSION", "sick", "HEALTH_STATUS", "500"));
    }

    @Override
    Map<String, Object> exitingAtOnce() {
        return run(List.of("sh", "-c", "echo boom: no config >&2; exit 3"), Map.of());
    }

    @Override
    Map<String, Object> slowToStart(String v) {
        return run(command(), Map.of("VERSION", v, "STARTUP_DELAY_MS", "3000"));
    }

    @Override
    List<String> runs() throws Exception {
        return running();   // a stopped process is only a record; nothing of it exists
    }

    @Override
    List<String> running() throws Exception {
        List<String> ids = new ArrayList<>();
        for (ProcessHandle h : mine()) {
            ids.add(environment(h).get("CUTOVER_DEPLOY_ID"));
        }
        return ids;
    }

    @Override
    void removeAll() throws Exception {
        for (ProcessHandle h : mine()) {
            h.destroyForcibly();
            h.onExit().get();
        }
    }

    /**
     * An app started the way wrapper scripts and worker-forking servers start: a shell that does
     * not exec, with two background "workers", around the real server.
     */
    private static Map<String, Object> behindAShell(String v) {
        String java = String.join(" ", command());
        return run(List.of("sh", "-c", "sleep 600 & sleep 600 & " + java + "; true"), Map.of("VERSION", v));
    }

    @Override
    Map<String, Object> config() {
        Map<String, Object> c = super.config();
        // a bake's windows (no test here deploys a canary); only errors decide: latency on a shared machine is noise
        c.put("cutover.app.canary.interval", "300ms");
        c.put("cutover.app.canary.min-requests", "20");
        c.put("cutover.app.canary.latency-floor", "10s");
        return c;
    }

    @Test
    void aVersionFailingOnceItTakesTrafficIsRolledBackByItsBakeUnderLoadAndNoRequestFailsButItsOwn() throws Exception {
        String v1 = follow(post("/v1/deploy", version("v1"))).get("id").asText();
        Map<String, Object> bad = new HashMap<>(run(command(), Map.of("VERSION", "v2", "FAIL_EVERY", "3")));
        bad.put("bakeMs", 30_000);
        JsonNode d;
        List<String> failures;
        java.util.concurrent.ConcurrentLinkedQueue<String> slowFailures = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        // a client whose requests take 300 ms: one is in flight on v2 when it is rolled back, and must finish
        Thread slow = new Thread(() -> {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            try (io.cutover.proxy.RawHttp raw = new io.cutover.proxy.RawHttp(proxy())) {
                while (!stop.get() && System.nanoTime() < until) {
                    io.cutover.proxy.RawHttp.Response r = raw.send("GET /slow?ms=300 HTTP/1.1\r\nHost: app\r\n\r\n").read();
                    if (r.status() != 200 && !(r.status() == 500 && r.body().trim().equals("v2"))) {
                        slowFailures.add("status " + r.status() + ": " + r.body().trim());
                    }
                }
            } catch (Exception e) {
                slowFailures.add(e.toString());
            }
        }, "slow-client");
        slow.setDaemon(true);
        try (KeepAliveLoad load = KeepAliveLoad.withPosts(proxy(), 4)) {
            slow.start();
            load.awaitRequests(200);
            d = follow(post("/v1/deploy", bad));
            load.awaitRequests(load.requests() + 200);      // answered by v1 again
            load.stop();
            failures = load.allFailures();
        } finally {
            stop.set(true);
            slow.join(TimeUnit.SECONDS.toMillis(10));
        }
        assertEquals("failed", d.get("state").asText(), d.toString());
        assertTrue(d.get("error").asText().startsWith("rolled back after "), d.toString());
        assertFalse(failures.isEmpty(), "v2 answered some requests with 500");
        assertTrue(failures.stream().allMatch(f -> f.equals("status 500: v2")),
                "no request failed but the bad version's own: " + failures);
        assertEquals(List.of(), List.copyOf(slowFailures), "slow requests in flight on v2 finished before it stopped");
        assertEquals(List.of(v1), running(), "v2 was stopped; v1 runs");
        assertEquals("v1", cutover().get("/").body().trim());
    }

    @Test
    void anAppBehindAShellWithWorkersKeepsEveryProcessAcrossADeployAndARestartOfCutover() throws Exception {
        String v1 = follow(post("/v1/deploy", behindAShell("v1"))).get("id").asText();
        List<ProcessHandle> v1Processes = processesOf(v1);
        assertTrue(v1Processes.size() >= 4, "shell, two workers, server: " + v1Processes);

        JsonNode second;
        List<String> failures;
        try (KeepAliveLoad load = KeepAliveLoad.start(proxy(), 4)) {
            load.awaitRequests(100);
            second = follow(post("/v1/deploy", behindAShell("v2")));
            load.awaitVersion("v2");
            failures = load.stop();
        }
        assertSucceeded(second);
        assertEquals(List.of(), failures, "failed requests while v2 was deployed");
        String v2 = second.get("id").asText();
        awaitGone(v1Processes);     // the old version goes as a whole: no orphaned worker
        List<ProcessHandle> v2Processes = processesOf(v2);
        assertTrue(v2Processes.size() >= 4, v2Processes.toString());

        restartCutover();
        assertEquals("v2", cutover().get("/").body().trim());
        for (ProcessHandle h : v2Processes) {
            assertTrue(h.isAlive(), "a restart of cutover left " + h.pid() + " of the live version alone");
        }
    }

    private List<ProcessHandle> processesOf(String deployId) {
        return mine().stream().filter(h -> deployId.equals(environment(h).get("CUTOVER_DEPLOY_ID"))).toList();
    }

    private static void awaitGone(List<ProcessHandle> processes) throws Exception {
        for (ProcessHandle h : processes) {
            h.onExit().get(30, TimeUnit.SECONDS);
        }
    }

    private List<ProcessHandle> mine() {
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            return all.filter(h -> appName.equals(environment(h).get("CUTOVER_APP"))).toList();
        }
    }

    private static Map<String, String> environment(ProcessHandle h) {
        Map<String, String> env = new HashMap<>();
        try {
            String raw = Files.readString(Path.of("/proc", Long.toString(h.pid()), "environ"), StandardCharsets.UTF_8);
            for (String kv : raw.split("\0")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    env.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
        } catch (Exception ignored) {
            // gone, or not ours to read
        }
        return env;
    }
}
