package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.proxy.RawHttp;
import io.cutover.proxy.TestBackend;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload keeps what each app serves: a manual switch is not undone by a reload that changes
 * the app's settings, a {@code target} changed in the file is where the app starts next time
 * (the reload says so), and settings that change in place move no route and cut no connection.
 * The README's flow: switch to v2, stop v1, later reload.
 */
class ReloadKeepsLiveVersionTest {
    @TempDir
    Path dir;

    private TestBackend v1;
    private TestBackend v2;
    private TestBackend v3;
    private Path file;
    private TestCutover cutover;

    @BeforeEach
    void start() throws Exception {
        v1 = TestBackend.start("v1");
        v2 = TestBackend.start("v2");
        v3 = TestBackend.start("v3");
        file = dir.resolve("cutover.conf");
        Files.writeString(file, config(v1, "1s", "30s"));
        cutover = TestCutover.start(file, Map.of("cutover.state-dir", dir.toString()), Cutover::runtimeFor);
    }

    @AfterEach
    void stop() {
        cutover.close();
        for (TestBackend b : List.of(v1, v2, v3)) {
            b.close();
        }
    }

    /** One app, taking every request (the flags set the health check's path, interval and deadline). */
    private static String config(TestBackend target, String healthTimeout, String drainDeadline) {
        return "cutover.target = \"" + target.target() + "\"\n"
                + "cutover.health.timeout = " + healthTimeout + "\n"
                + "cutover.drain.deadline = " + drainDeadline + "\n";
    }

    private JsonNode reload() throws Exception {
        HttpResponse<String> r = cutover.admin("POST", "/v1/reload", null);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode o = cutover.json(r.body());
        assertEquals("[\"default\"]", o.get("changed").toString(), r.body());
        return o;
    }

    private void switchToV2AndStopV1() throws Exception {
        assertEquals(200, cutover.switchTo(v2.target().toString()).statusCode());
        v1.close();
    }

    @Test
    void aReloadAfterAManualSwitchKeepsTheSwitchedTargetEvenWhenItChangesTheAppsTargetAndHealth() throws Exception {
        switchToV2AndStopV1();
        try (KeepAliveLoad load = KeepAliveLoad.start(cutover.cutover().proxyAddress(), 4)) {
            load.awaitRequests(50);
            Files.writeString(file, config(v3, "2s", "10s"));
            JsonNode o = reload();
            int after = load.requests() + 200;
            load.awaitRequests(after);
            assertEquals(List.of(), load.stop(), "no request failed");
            assertEquals(List.of("v2"), load.versionsSeen(), "every request reached the switched target");
            assertTrue(o.get("notes").toString().contains("the target in the file is now " + v3.target()
                    + ", where the app starts; it keeps serving " + v2.target() + " (a switch or a deploy chose it). "
                    + v3.target() + " takes effect at the next start of cutover, or now with `cutover switch "
                    + v3.target() + "` (health-checked)"), o.toString());
        }
        JsonNode status = cutover.status();
        assertEquals(v2.target().toString(), status.get("active").asText(), status.toString());
        assertEquals(v1.target().toString(), status.get("previous").asText(), "the previous target is kept");
        assertEquals(0, v3.requests(), "the file's new target got nothing, not even a probe");
    }

    @Test
    void aReloadThatChangesOnlyHealthSettingsChangesNoRouteAndCutsNoConnection() throws Exception {
        switchToV2AndStopV1();
        try (RawHttp raw = new RawHttp(cutover.cutover().proxyAddress())) {
            assertEquals("v2", raw.send("GET / HTTP/1.1\r\nHost: app\r\n\r\n").read().body());
            Files.writeString(file, config(v1, "2s", "30s"));
            JsonNode o = reload();
            RawHttp.Response r = raw.send("GET / HTTP/1.1\r\nHost: app\r\n\r\n").read();
            assertEquals(200, r.status(), r.body());
            assertEquals("v2", r.body(), "the same connection, the same version");
            assertEquals("[]", o.get("notes").toString(), "the target did not change: nothing to say");
        }
        JsonNode status = cutover.status();
        assertEquals(v2.target().toString(), status.get("active").asText(), status.toString());
        assertEquals(v1.target().toString(), status.get("previous").asText(), status.toString());
        assertTrue(status.get("lastSwitch").toString().contains(v2.target().toString()), "the last switch is kept: "
                + status);
        String metrics = cutover.admin("GET", "/metrics", null).body();
        assertTrue(metrics.contains("cutover_switches_total{app=\"default\"} 1.0"), "the switch count goes on: " + metrics);
    }

    @Test
    void aHealthCheckChangedByAReloadIsTheOneTheNextSwitchMustPass() throws Exception {
        v3.healthDelayMs(600);      // healthy, but slower than the reloaded probe timeout
        Files.writeString(file, config(v1, "200ms", "30s"));
        reload();
        HttpResponse<String> r = cutover.switchTo(v3.target().toString());
        assertEquals(503, r.statusCode(), r.body());
        assertEquals(v1.target().toString(), cutover.status().get("active").asText(), "the switch was refused");
        assertEquals("v1", cutover.get("/").body());
    }
}
