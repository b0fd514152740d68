package io.cutover.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.Cutover;
import io.cutover.control.config.ConfigLoader;
import io.cutover.control.deploy.VersionApp;
import io.cutover.proxy.TestHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cutover deploy} and {@code cutover rollback} as a CD job runs them: one line, an exit code. */
@org.junit.jupiter.api.Timeout(120)     // app JVMs, and a sick one waits out its 20 s health deadline
class DeployCliTest {
    @TempDir
    Path dir;

    private Cutover cutover;
    private String admin;

    @BeforeEach
    void start() throws Exception {
        String name = "t" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                VersionApp.class.getName());
        cutover = Cutover.start(ConfigLoader.load(Optional.empty(), Map.of(
                "cutover.listen", "127.0.0.1:0", "cutover.admin", "127.0.0.1:0",
                "cutover.health.path", "/up", "cutover.health.interval", "20ms", "cutover.health.deadline", "20s",
                "cutover.app.name", name, "cutover.app.runtime", "process",
                "cutover.app.ports", List.of(freePort(), freePort()),
                "cutover.app.command", command,
                "cutover.state-dir", dir.toString())), Clock.systemUTC());
        admin = "127.0.0.1:" + cutover.adminAddress().getPort();
    }

    @AfterEach
    void stop() {
        var app = cutover.deployer().orElseThrow().app();
        cutover.close();
        new io.cutover.control.deploy.runtime.ProcessRuntime(app, dir).removeAllExcept(List.of());
    }

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private String served() throws Exception {
        return TestHttp.client().send(TestHttp.request(
                URI.create("http://127.0.0.1:" + cutover.proxyAddress().getPort() + "/")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    @Test
    void deployPrintsEachStepAndExitsZero() throws Exception {
        CliRun first = run("deploy", "--env", "VERSION=v1", "--admin", admin, "--state-dir", dir.toString());
        assertEquals(0, first.code(), first.out() + first.err());
        CliRun second = run("deploy", "--env", "VERSION=v2", "--admin", admin, "--state-dir", dir.toString());
        assertEquals(0, second.code(), second.out() + second.err());
        int previous = -1;
        for (String step : List.of("accepted", "candidate started", "healthy", "switched", "drained",
                "old version stopped", "succeeded in")) {
            int at = second.out().indexOf(step);
            assertTrue(at > previous, step + " missing or out of order in:\n" + second.out());
            previous = at;
        }
        assertEquals("v2", served());
        assertEquals(0, run("rollback", "--admin", admin, "--state-dir", dir.toString()).code());
        assertEquals("v1", served());
    }

    @Test
    void aFailedDeployExitsNonZeroWithTheReason() throws Exception {
        assertEquals(0, run("deploy", "--env", "VERSION=v1", "--admin", admin, "--state-dir", dir.toString()).code());
        CliRun failed = run("deploy", "--env", "VERSION=sick", "--env", "HEALTH_STATUS=503", "--admin", admin, "--state-dir", dir.toString());
        assertEquals(1, failed.code());
        assertTrue(failed.err().contains("failed: "), failed.err());
        assertTrue(failed.err().contains("status 503"), failed.err());
        assertTrue(failed.out().contains("candidate removed"), failed.out());
        assertEquals("v1", served());
    }

    @Test
    void deployWithShadowPrintsTheShadowStepsBetweenTheHealthGateAndTheSwitch() throws Exception {
        assertEquals(0, run("deploy", "--env", "VERSION=v1", "--admin", admin, "--state-dir", dir.toString()).code());
        CliRun second = run("deploy", "--env", "VERSION=v2", "--shadow", "100%", "--shadow-duration", "1s",
                "--shadow-fail-on-errors", "--admin", admin, "--state-dir", dir.toString());
        assertEquals(0, second.code(), second.out() + second.err());
        int previous = -1;
        for (String step : List.of("healthy", "shadow started", "100% of GET and HEAD requests copied to ",
                "requests copied, 0 dropped; compared ", "switched", "succeeded in")) {
            int at = second.out().indexOf(step);
            assertTrue(at > previous, step + " missing or out of order in:\n" + second.out());
            previous = at;
        }
        assertEquals("v2", served());
    }

    @Test
    void rollbackWithNothingToGoBackToExitsNonZero() {
        CliRun r = run("rollback", "--admin", admin, "--state-dir", dir.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no previous version"), r.err());
    }

    private static int freePort() throws Exception {
        return io.cutover.proxy.TestPorts.free();
    }
}
