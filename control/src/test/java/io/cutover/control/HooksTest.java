package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.proxy.Eventually;
import io.cutover.proxy.TestBackend;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * The app's hooks at their points of a deploy, each on success and failure. A fake runtime
 * "runs" v1 and v2 on the app's two ports, where real test backends answer; the hooks are shell
 * strings that write what they were told into files of the test's directory.
 */
class HooksTest {
    @TempDir
    Path dir;

    private final FakeRuntime runtime = new FakeRuntime();
    private TestBackend v1;
    private TestBackend v2;
    private TestCutover cutover;

    @BeforeEach
    void backends() throws Exception {
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

    private void start(Map<String, String> hooks) throws Exception {
        Map<String, Object> c = new HashMap<>(Map.of(
                "cutover.app.name", "hooked",
                "cutover.app.runtime", "process",
                "cutover.app.ports", List.of(v1.port(), v2.port()),
                "cutover.health.path", "/",
                "cutover.drain.deadline", "5s",
                "cutover.state-dir", dir.toString()));
        hooks.forEach((k, v) -> c.put("cutover.app.hooks." + k, v));
        cutover = TestCutover.start(c, s -> runtime);
    }

    private JsonNode deploy(String v) throws Exception {
        HttpResponse<String> r = cutover.admin("POST", "/v1/deploy", "{\"command\": [\"" + v + "\"]}");
        assertEquals(202, r.statusCode(), r.body());
        return cutover.awaitDeploy(cutover.json(r.body()).get("id").asText());
    }

    /** A hook that appends "NAME VARIABLE-VALUES..." to the file {@code name} in the test's directory. */
    private String recording(String name, String... variables) {
        StringBuilder line = new StringBuilder("$CUTOVER_HOOK");
        for (String v : variables) {
            line.append("|$").append(v);
        }
        return "echo \"" + line + "\" >> '" + dir.resolve(name) + "'";
    }

    private List<String> lines(String name) throws Exception {
        Path f = dir.resolve(name);
        return Files.exists(f) ? Files.readAllLines(f) : List.of();
    }

    private static List<String> stepNames(JsonNode d) {
        List<String> names = new ArrayList<>();
        d.get("steps").forEach(s -> names.add(s.get("name").asText()));
        return names;
    }

    private static List<String> steps(JsonNode d, String name) {
        List<String> details = new ArrayList<>();
        d.get("steps").forEach(s -> {
            if (s.get("name").asText().equals(name)) {
                details.add(s.get("detail").asText());
            }
        });
        return details;
    }

    @Test
    void aFailingPreDeployHookStopsTheDeployBeforeTheCandidateStartsAndOnFailureIsToldWhy() throws Exception {
        start(Map.of("pre-deploy", "echo migrating $CUTOVER_RELEASE; echo no database >&2; exit 3",
                "on-failure", recording("failures", "CUTOVER_APP", "CUTOVER_REASON")));
        JsonNode d = deploy("v1");
        assertEquals("failed", d.get("state").asText(), d.toString());
        assertTrue(d.get("error").asText().contains("the pre-deploy hook failed (exit 3)"), d.toString());
        assertEquals(List.of(), runtime.started, "no candidate was started");
        assertEquals(List.of("migrating v1", "no database"), steps(d, "hook pre-deploy"), "its output, as steps");
        assertEquals(List.of("exit 3"), steps(d, "hook pre-deploy failed"));
        assertEquals(List.of("on-failure|hooked|the pre-deploy hook failed (exit 3)"), lines("failures"));
        assertTrue(stepNames(d).contains("hook on-failure passed"), d.toString());
    }

    @Test
    void aPassingPreDeployHookRunsBeforeTheCandidateAndTheDeployGoesOn() throws Exception {
        start(Map.of("pre-deploy", recording("ran", "CUTOVER_APP", "CUTOVER_DEPLOYMENT", "CUTOVER_RELEASE", "CUTOVER_KIND")));
        JsonNode d = deploy("v1");
        assertEquals("succeeded", d.get("state").asText(), d.toString());
        assertEquals(List.of("pre-deploy|hooked|" + d.get("id").asText() + "|v1|deploy"), lines("ran"));
        List<String> names = stepNames(d);
        assertTrue(names.indexOf("hook pre-deploy passed") < names.indexOf("candidate started"), names.toString());
    }

    @Test
    void aFailingPreSwitchHookRemovesTheCandidateAndTrafficStaysOnTheOldVersion() throws Exception {
        Path refuse = dir.resolve("refuse");
        start(Map.of("pre-switch", "echo smoke test of $CUTOVER_CANDIDATE_URL; test ! -e '" + refuse + "'",
                "on-failure", recording("failures", "CUTOVER_REASON", "CUTOVER_PREVIOUS")));
        assertEquals("succeeded", deploy("v1").get("state").asText());
        Files.writeString(refuse, "");
        JsonNode d = deploy("v2");
        assertEquals("failed", d.get("state").asText(), d.toString());
        assertTrue(d.get("error").asText().contains("the pre-switch hook failed (exit 1): the switch was refused"),
                d.toString());
        assertEquals(List.of("smoke test of http://127.0.0.1:" + v2.port()), steps(d, "hook pre-switch"));
        assertTrue(stepNames(d).contains("candidate removed"), d.toString());
        assertEquals(1, runtime.removed.size(), "the candidate was removed");
        assertEquals("v1", cutover.get("/").body());
        assertFalse(stepNames(d).contains("switched"), d.toString());
        assertEquals(List.of("on-failure|the pre-switch hook failed (exit 1): the switch was refused|127.0.0.1:"
                + v1.port()), lines("failures"));
    }

    @Test
    void aRollbackIsNotHeldUpByThePreSwitchHookWrittenForNewReleases() throws Exception {
        Path refuse = dir.resolve("refuse");
        start(Map.of("pre-switch", "echo smoke test; test ! -e '" + refuse + "'"));
        assertEquals("succeeded", deploy("v1").get("state").asText());
        assertEquals("succeeded", deploy("v2").get("state").asText());
        Files.writeString(refuse, "");      // the smoke test now refuses everything
        HttpResponse<String> r = cutover.admin("POST", "/v1/rollback", "{}");
        assertEquals(202, r.statusCode(), r.body());
        JsonNode back = cutover.awaitDeploy(cutover.json(r.body()).get("id").asText());
        assertEquals("succeeded", back.get("state").asText(), back.toString());
        assertFalse(stepNames(back).contains("hook pre-switch"), back.toString());
        assertEquals("v1", cutover.get("/").body());
    }

    @Test
    void aFailingPostSwitchHookIsAWarningAndThePostDeployHookIsToldTheVersions() throws Exception {
        start(Map.of("post-switch", "echo traffic moved to $CUTOVER_CANDIDATE; exit 4",
                "post-deploy", recording("done", "CUTOVER_CANDIDATE", "CUTOVER_PREVIOUS", "CUTOVER_PREVIOUS_RELEASE"),
                "on-failure", recording("failures")));
        assertEquals("succeeded", deploy("v1").get("state").asText());
        JsonNode d = deploy("v2");
        assertEquals("succeeded", d.get("state").asText(), d.toString());
        assertEquals("v2", cutover.get("/").body());
        assertEquals("[\"the post-switch hook failed (exit 4)\"]", d.get("warnings").toString());
        List<String> names = stepNames(d);
        assertTrue(names.indexOf("switched") < names.indexOf("hook post-switch failed"), names.toString());
        assertEquals("post-deploy|127.0.0.1:" + v2.port() + "|127.0.0.1:" + v1.port() + "|v1", lines("done").get(1));
        assertEquals(List.of(), lines("failures"), "a warning is not a failure");
    }

    @Test
    void aHookOverItsTimeoutIsKilledWithWhatItStarted() throws Exception {
        Path child = dir.resolve("child");
        start(Map.of("timeout", "1s",
                "pre-deploy", "sleep 300 & echo $! > '" + child + "'; echo started; wait"));
        JsonNode d = deploy("v1");
        assertEquals("failed", d.get("state").asText(), d.toString());
        assertTrue(d.get("error").asText().contains("killed after its 1 s timeout"), d.toString());
        assertEquals(List.of("started"), steps(d, "hook pre-deploy"));
        assertEquals(List.of(), runtime.started);
        long pid = Long.parseLong(Files.readString(child).trim());
        Eventually.until(Duration.ofSeconds(10), "the hook's child to be gone",
                () -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
    }

    @Test
    void whatADeployNamesReachesAHookOnlyAsAVariableNeverAsShell() throws Exception {
        Path planted = dir.resolve("planted");
        start(Map.of("pre-deploy", "echo \"release: $CUTOVER_RELEASE\""));
        String release = "v1$(touch " + planted + ")`touch " + planted + "`";
        HttpResponse<String> r = cutover.admin("POST", "/v1/deploy", io.cutover.control.admin.Json.mapper()
                .writeValueAsString(Map.of("command", List.of(release))));
        assertEquals(202, r.statusCode(), r.body());
        JsonNode d = cutover.awaitDeploy(cutover.json(r.body()).get("id").asText());
        assertEquals(List.of("release: " + release), steps(d, "hook pre-deploy"));
        assertFalse(Files.exists(planted), "the release's text was run as a command");
    }

    @Test
    void aHookPrintingMoreThanItsShareOfLinesIsCut() throws Exception {
        start(Map.of("pre-deploy", "head -c 2000 /dev/zero | tr '\\0' x; echo; "
                + "i=1; while [ $i -lt 251 ]; do echo line $i; i=$((i+1)); done"));
        JsonNode d = deploy("v1");
        assertEquals("succeeded", d.get("state").asText(), d.toString());
        List<String> lines = steps(d, "hook pre-deploy");
        assertEquals(201, lines.size(), "200 lines, then how many more");
        assertEquals("x".repeat(500) + " [cut at 500 characters]", lines.get(0));
        assertEquals("line 199", lines.get(199));
        assertEquals("(51 more lines not shown)", lines.get(200));
    }
}
