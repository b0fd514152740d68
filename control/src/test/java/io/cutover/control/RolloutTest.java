package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.control.admin.AdminToken;
import io.cutover.control.cli.Main;
import io.cutover.control.deploy.VersionApp;
import io.cutover.proxy.Eventually;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cutover rollout} across three cutover "hosts" on loopback, each with its own ports,
 * state directory and app processes (the same app name on all three), behind HAProxy checking
 * each host's lb-health path and keeping a keep-alive pool to each, as an ALB would; clients with
 * a request always in flight (GETs and POSTs with bodies) go through HAProxy.
 */
@Timeout(240)   // three hosts, each starting app JVMs, and HAProxy, on 2 cores the clients keep busy
class RolloutTest {
    private static final String APP = "web";

    @TempDir
    Path dir;

    private final List<TestCutover> hosts = new ArrayList<>();
    private Process haproxy;
    private int front;

    @AfterEach
    void stopAll() throws Exception {
        if (haproxy != null) {
            haproxy.destroy();
            haproxy.waitFor(20, TimeUnit.SECONDS);
        }
        for (TestCutover h : hosts) {
            h.close();
        }
        // a cutover leaves its app's processes running when it stops (the next one adopts them):
        // the apps this test's hosts started are stopped here, found by the marker on their command line
        List<ProcessHandle> apps = ProcessHandle.current().descendants()
                .filter(p -> p.info().commandLine().map(l -> l.contains(MARKER)).orElse(false)).toList();
        apps.forEach(ProcessHandle::destroy);
        for (ProcessHandle app : apps) {
            try {
                app.onExit().get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                app.destroyForcibly();
            }
        }
    }

    /** On the command line of every app process this test starts. */
    private static final String MARKER = "-Dcutover.test=RolloutTest-" + java.util.UUID.randomUUID();

    private static List<String> java() {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx48m",
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", MARKER, "-cp", System.getProperty("java.class.path"),
                VersionApp.class.getName());
    }

    /**
     * The release's command: {@link VersionApp}, sick (its health check answers 500) on the host
     * whose number is $SICK_ON, if the deploy sets it.
     */
    private static List<String> command() {
        return List.of("sh", "-c", "if [ -n \"$SICK_ON\" ] && [ \"$SICK_ON\" = \"$HOST_NO\" ]; then HEALTH_STATUS=500; "
                + "export HEALTH_STATUS; fi; exec " + String.join(" ", java()));
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Three hosts, each on v1, behind HAProxy. */
    private void startHosts() throws Exception {
        for (int i = 1; i <= 3; i++) {
            Map<String, Object> c = new HashMap<>();
            c.put("cutover.state-dir", dir.resolve("host" + i).toString());
            c.put("cutover.app.name", APP);
            c.put("cutover.app.runtime", "process");
            c.put("cutover.app.ports", List.of(freePort(), freePort()));
            c.put("cutover.app.stop-timeout", "5s");
            c.put("cutover.app.keep-previous", "running");
            c.put("cutover.app.env.HOST_NO", String.valueOf(i));
            c.put("cutover.health.path", "/up");
            c.put("cutover.health.interval", "20ms");
            c.put("cutover.health.deadline", "8s");
            c.put("cutover.drain.deadline", "5s");
            c.put("cutover.lb-health.path", "/lb");
            c.put("cutover.lb-health.grace", "10s");
            hosts.add(TestCutover.start(c));
        }
        List<String> ids = new ArrayList<>();
        for (TestCutover h : hosts) {
            ids.add(h.deploy(null, deployBody("v1", Map.of())));
        }
        for (int i = 0; i < hosts.size(); i++) {
            JsonNode d = hosts.get(i).awaitDeploy(ids.get(i));
            assertEquals("succeeded", d.get("state").asText(), d.toString());
        }
        front = freePort();
        StringBuilder servers = new StringBuilder();
        for (int i = 0; i < hosts.size(); i++) {
            servers.append("  server h").append(i + 1).append(" 127.0.0.1:")
                    .append(hosts.get(i).cutover().proxyAddress().getPort()).append(" check\n");
        }
        Path cfg = dir.resolve("haproxy.cfg");
        Files.writeString(cfg, String.join("\n",
                "global", "  maxconn 1000",
                "defaults", "  mode http", "  timeout connect 5s", "  timeout client 30s", "  timeout server 30s",
                "  option http-keep-alive", "  http-reuse always",
                "frontend f", "  bind 127.0.0.1:" + front, "  default_backend b",
                "backend b", "  balance roundrobin", "  option httpchk",
                "  http-check send meth GET uri /lb ver HTTP/1.1 hdr Host lb",
                "  default-server inter 200ms fall 2 rise 2", servers.toString()));
        // installed by bin/test; missing, this fails (it does not skip)
        haproxy = new ProcessBuilder("haproxy", "-db", "-f", cfg.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        for (TestCutover h : hosts) {       // HAProxy checks each host (rise 2) before it sends it requests
            Eventually.until(Duration.ofSeconds(20), "haproxy to find every host healthy", () -> {
                assertTrue(haproxy.isAlive(), "haproxy stopped: " + Files.readString(dir.resolve("haproxy.log")));
                return lb(h).get("checksOk").asLong() >= 2;
            });
        }
    }

    private String deployBody(String version, Map<String, String> extraEnv) throws Exception {
        Map<String, Object> body = new HashMap<>();
        Map<String, String> env = new HashMap<>(extraEnv);
        env.put("VERSION", version);
        body.put("command", command());
        body.put("env", env);
        body.put("release", version);
        return new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(body);
    }

    private static JsonNode lb(TestCutover h) throws Exception {
        return h.json(h.admin("GET", "/v1/lb", null).body());
    }

    private static String release(TestCutover h) throws Exception {
        return h.status().path("app").path("active").path("release").asText();
    }

    /** The hosts file: each host's admin API with its own token (the one cutover made in its state directory). */
    private Path hostsFile(List<String> admins, List<Path> tokens) throws Exception {
        StringBuilder s = new StringBuilder("hosts = [\n");
        for (int i = 0; i < admins.size(); i++) {
            s.append("  {admin = \"").append(admins.get(i)).append("\", token-file = \"").append(tokens.get(i))
                    .append("\"}\n");
        }
        s.append("]\nbatch = 1\n");
        Path file = dir.resolve("hosts.conf");
        Files.writeString(file, s.toString());
        return file;
    }

    private Path hostsFile() throws Exception {
        return hostsFile(hosts.stream().map(TestCutover::adminAddress).toList(),
                hosts.stream().map(h -> h.cutover().settings().stateDir().resolve(AdminToken.FILE)).toList());
    }

    private record Run(int code, String out, String err) {
        String all() {
            return out + err;
        }
    }

    private static Run cutover(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    private List<String> rollout(String version, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("rollout", "--hosts-file", hostsFile().toString(), "--release",
                version, "--quiet", "500ms", "--env", "VERSION=" + version));
        args.addAll(List.of(more));
        args.add("--command");
        args.add("--");
        args.addAll(command());
        return args;
    }

    private static List<String> failuresOf(KeepAliveLoad load) throws InterruptedException {
        return load.stop();
    }

    @Test
    void aRollingDeployOfThreeHostsOneAtATimeUnderLoadFailsNoRequestAndARerunSkipsThemAll() throws Exception {
        startHosts();
        Run run;
        List<String> failures;
        try (KeepAliveLoad load = KeepAliveLoad.withPosts(new InetSocketAddress("127.0.0.1", front), 4)) {
            load.awaitRequests(200);
            run = cutover(rollout("v2").toArray(String[]::new));
            load.awaitRequests(load.requests() + 200);
            failures = failuresOf(load);
            assertTrue(load.versionsSeen().contains("v2"), load.versionsSeen().toString());
        }
        assertEquals(0, run.code(), run.all());
        assertEquals(List.of(), failures, run.all());
        for (TestCutover h : hosts) {
            assertEquals("v2", release(h), run.all());
            assertTrue(lb(h).get("in").asBoolean(), "every host is back in the load balancer");
        }
        for (String step : List.of("leave", "left", "deploy done", "join", "joined")) {
            assertEquals(3, run.out().lines().filter(l -> l.matches(".*\\s" + step + "\\s.*")).count(),
                    "one '" + step + "' line per host:\n" + run.out());
        }
        assertTrue(run.out().contains("the load balancer stopped sending"), run.out());
        assertTrue(run.out().contains("the load balancer sends it requests again"), run.out());
        assertTrue(run.out().contains("HOST") && run.out().contains("RESULT"), "a summary table:\n" + run.out());

        List<String> deployIds = new ArrayList<>();
        for (TestCutover h : hosts) {
            deployIds.add(h.status().path("app").path("active").path("deployId").asText());
        }
        Run again = cutover(rollout("v2").toArray(String[]::new));
        assertEquals(0, again.code(), again.all());
        assertEquals(3, again.out().lines().filter(l -> l.contains(" skip ")).count(), again.out());
        assertFalse(again.out().contains(" leave "), "a host on the release is not taken out:\n" + again.out());
        for (int i = 0; i < hosts.size(); i++) {
            assertEquals(deployIds.get(i), hosts.get(i).status().path("app").path("active").path("deployId").asText(),
                    "nothing deployed again");
        }
    }

    @Test
    void aReleaseThatFailsItsHealthCheckOnTheSecondHostLeavesAllThreeOnTheOldReleaseAndFailsNoRequest() throws Exception {
        startHosts();
        Run run;
        List<String> failures;
        try (KeepAliveLoad load = KeepAliveLoad.withPosts(new InetSocketAddress("127.0.0.1", front), 4)) {
            load.awaitRequests(200);
            run = cutover(rollout("v2", "--env", "SICK_ON=2").toArray(String[]::new));
            load.awaitRequests(load.requests() + 200);
            failures = failuresOf(load);
        }
        assertEquals(1, run.code(), run.all());
        assertEquals(List.of(), failures, run.all());
        String second = hosts.get(1).adminAddress();
        assertTrue(run.err().contains("rollout failed on " + second + ": "), run.all());
        assertTrue(run.err().contains("rolled back: " + hosts.get(0).adminAddress()), run.all());
        for (TestCutover h : hosts) {
            assertEquals("v1", release(h), run.all());
            assertTrue(lb(h).get("in").asBoolean(), "every host is back in the load balancer:\n" + run.all());
        }
        String third = hosts.get(2).adminAddress();
        assertFalse(run.out().lines().anyMatch(l -> l.contains(third + " ") && l.contains(" leave ")),
                "the third host was never taken out:\n" + run.out());
    }

    @Test
    void aHostUnreachableAtTheStartIsReportedBeforeAnythingChanges() throws Exception {
        for (int i = 1; i <= 2; i++) {
            hosts.add(TestCutover.start(Map.of("cutover.state-dir", dir.resolve("host" + i).toString(),
                    "cutover.app.name", APP, "cutover.app.runtime", "process",
                    "cutover.app.ports", List.of(freePort(), freePort()), "cutover.lb-health.path", "/lb")));
        }
        String dead = "127.0.0.1:" + freePort();
        List<String> admins = List.of(hosts.get(0).adminAddress(), dead, hosts.get(1).adminAddress());
        Path token = hosts.get(0).cutover().settings().stateDir().resolve(AdminToken.FILE);
        Path file = hostsFile(admins, List.of(token, token,
                hosts.get(1).cutover().settings().stateDir().resolve(AdminToken.FILE)));

        Run run = cutover("rollout", "--hosts-file", file.toString(), "--release", "v2", "--command", "--", "true");

        assertEquals(1, run.code(), run.all());
        assertTrue(run.err().contains("rollout not started, nothing changed"), run.all());
        assertTrue(run.err().contains(dead + ": cannot reach the admin API at " + dead), run.all());
        assertEquals("", run.out(), "no step was taken");
        for (TestCutover h : hosts) {
            assertTrue(lb(h).get("in").asBoolean());
            assertTrue(h.status().path("app").path("active").isNull(), "nothing deployed");
            String history = h.admin("GET", "/v1/history", null).body();
            assertFalse(history.contains("\"lb\"") || history.contains("\"deploy\""), history);
        }
    }
}
