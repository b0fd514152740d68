package io.cutover.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.Cutover;
import io.cutover.control.config.ConfigLoader;
import io.cutover.proxy.Eventually;
import io.cutover.proxy.TestBackend;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CliTest {
    private TestBackend blue;
    private TestBackend green;
    private Cutover cutover;
    private String admin;

    @BeforeEach
    void start() throws Exception {
        blue = TestBackend.start("blue");
        green = TestBackend.start("green");
        cutover = Cutover.start(ConfigLoader.load(Optional.empty(), Map.of(
                "cutover.listen", "127.0.0.1:0", "cutover.admin", "127.0.0.1:0",
                "cutover.target", blue.target().toString(), "cutover.health.path", "/health",
                "cutover.health.interval", "20ms", "cutover.health.deadline", "5s",
                "cutover.health.timeout", "5s")), Clock.systemUTC());     // room for a busy machine
        admin = "127.0.0.1:" + cutover.adminAddress().getPort();
    }

    @AfterEach
    void stop() {
        cutover.close();
        blue.close();
        green.close();
    }

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void switchPrintsWhatHappenedAndExitsZero() {
        CliRun r = run("switch", green.target().toString(), "--admin", admin);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("switched " + blue.target() + " -> " + green.target() + " (healthy after "),
                r.out());
    }

    @Test
    void switchToAnUnhealthyTargetExitsNonZeroWithTheReason() {
        green.healthStatus(503);
        CliRun r = run("switch", green.target().toString(), "--admin", admin);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("switch to " + green.target() + " failed"), r.err());
        assertTrue(r.err().contains("status 503"), r.err());
        assertTrue(r.err().contains("HTTP 503"), r.err());
    }

    @Test
    void statusShowsActivePreviousAndTheLastSwitch() throws Exception {
        run("switch", green.target().toString(), "--admin", admin);
        CliRun r = Eventually.value(Duration.ofSeconds(10), "the switch in the status",
                () -> run("status", "--admin", admin), status -> status.out().contains("last switch: "));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("active    " + green.target()), r.out());
        assertTrue(r.out().contains("previous  " + blue.target()), r.out());
        assertTrue(r.out().contains("last switch: " + blue.target() + " -> " + green.target()), r.out());
        assertTrue(r.out().contains("drained 0 of 0 in-flight requests"), r.out());
    }

    @Test
    void maintenanceOnWithAPageAnswersEveryRequest503UntilItIsTurnedOff(@org.junit.jupiter.api.io.TempDir
                                                                        java.nio.file.Path dir) throws Exception {
        java.nio.file.Path page = dir.resolve("down.html");
        java.nio.file.Files.writeString(page, "<h1>migrating, back soon</h1>");
        CliRun on = run("maintenance", "on", "--page", page.toString(), "--retry-after", "30", "--admin", admin);
        assertEquals(0, on.code(), on.err());
        assertTrue(on.out().contains("maintenance on") && on.out().contains("30 s"), on.out());
        assertTrue(on.out().contains("a restart of cutover ends it"), "no app, so not persisted: " + on.out());
        var client = java.net.http.HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(10)).build();
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                + cutover.proxyAddress().getPort() + "/")).timeout(java.time.Duration.ofSeconds(10)).build();
        var answered = client.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(503, answered.statusCode());
        assertEquals("30", answered.headers().firstValue("retry-after").orElse(""));
        assertEquals("<h1>migrating, back soon</h1>", answered.body());
        assertTrue(run("status", "--admin", admin).out().contains("maintenance on"));

        CliRun off = run("maintenance", "off", "--admin", admin);
        assertEquals(0, off.code(), off.err());
        assertEquals("blue", client.send(request, java.net.http.HttpResponse.BodyHandlers.ofString()).body());
        assertTrue(!run("status", "--admin", admin).out().contains("maintenance on"));
        assertEquals(2, run("maintenance", "off", "--page", page.toString(), "--admin", admin).code(),
                "a page only goes with `on`");
    }

    @Test
    void pauseHoldsRequestsUntilResumeAndStatusCountsThem() throws Exception {
        CliRun paused = run("pause", "--timeout", "30", "--max-held", "10", "--admin", admin);
        assertEquals(0, paused.code(), paused.err());
        assertTrue(paused.out().contains("held for up to 30 s (at most 10 at once)"), paused.out());
        var client = java.net.http.HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(10)).build();
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                + cutover.proxyAddress().getPort() + "/")).timeout(java.time.Duration.ofSeconds(20)).build();
        var held = client.sendAsync(request, java.net.http.HttpResponse.BodyHandlers.ofString());
        Eventually.value(Duration.ofSeconds(10), "the request to be held", () -> run("status", "--admin", admin).out(),
                out -> out.contains("paused: 1 requests held"));
        assertEquals(0, blue.requests() - healthChecks(blue), "nothing reached the app while paused");
        CliRun resumed = run("resume", "--admin", admin);
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.out().contains("resumed"), resumed.out());
        var answer = held.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(200, answer.statusCode());
        assertEquals("blue", answer.body());
        assertTrue(run("resume", "--admin", admin).out().contains("not paused"));
    }

    private static int healthChecks(TestBackend b) {
        return (int) b.seen().stream().filter(r -> r.startsWith("GET /health")).count();
    }

    @Test
    void unreachableAdminExitsNonZeroWithAHint() {
        CliRun r = run("status", "--admin", "127.0.0.1:1");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("cannot reach the admin API at 127.0.0.1:1"), r.err());
    }

    @Test
    void statusReachesAnAdminApiNamedByHostName() {
        CliRun r = run("status", "--admin", "localhost:" + cutover.adminAddress().getPort());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("active    " + blue.target()), r.out());
    }

    @Test
    void aBadAdminAddressIsRefusedNamingIt() {
        CliRun r = run("status", "--admin", "no such host:1");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("bad --admin address 'no such host:1'"), r.err());
    }

    @Test
    void helpListsEveryCommandAndACommandIsKnownByItsOwnName() {
        CliRun help = run("--help");
        assertEquals(0, help.code(), help.err());
        Main.COMMANDS.forEach((name, command) -> {
            assertEquals(name, command.getAnnotation(picocli.CommandLine.Command.class).name());
            assertTrue(help.out().contains("\n  " + name + " "), name + " missing in:\n" + help.out());
        });
        CliRun typo = run("stauts");
        assertEquals(2, typo.code());
        assertTrue(typo.err().contains("status"), typo.err());      // picocli's "did you mean"
        CliRun one = run("status", "--help");
        assertEquals(0, one.code(), one.err());
        assertTrue(one.out().contains("Usage: cutover status"), one.out());
    }

    @Test
    void badUsageExitsNonZero() {
        assertEquals(2, run("switch").code());
        assertEquals(2, run("frobnicate").code());
        CliRun r = run("switch", "not-a-target", "--admin", admin);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("bad target"), r.err());
    }

    @Test
    void serveRefusesABadConfigNamingTheKey() {
        CliRun r = run("serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--health-path", "up");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("cutover.health.path"), r.err());
    }
}
