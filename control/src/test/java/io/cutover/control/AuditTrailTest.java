package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.cli.Main;
import io.cutover.proxy.Eventually;
import io.cutover.proxy.TestBackend;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit trail: a switch and a deploy recorded with the admin client that asked, and `cutover history`. */
class AuditTrailTest {
    @TempDir
    Path dir;

    @Test
    void aSwitchAndADeployAreRecordedWithTheAdminClientAndHistoryPrintsThem() throws Exception {
        FakeRuntime runtime = new FakeRuntime();
        try (TestBackend v1 = TestBackend.start("v1"); TestBackend v2 = TestBackend.start("v2");
             TestCutover cutover = TestCutover.start(Map.of("cutover.app.name", "audited",
                     "cutover.app.runtime", "process", "cutover.app.ports", List.of(v1.port(), v2.port()),
                     "cutover.health.path", "/", "cutover.state-dir", dir.toString()), s -> runtime)) {
            String id = cutover.deploy(null, "{\"command\": [\"v1\"]}");
            assertEquals("succeeded", cutover.awaitDeploy(id).get("state").asText());
            assertEquals(200, cutover.switchTo("127.0.0.1:" + v2.port()).statusCode());
            Path audit = dir.resolve("audit.jsonl");
            // the deploy's own three lines may be written before the switch's (each is appended as it happens)
            List<String> lines = Eventually.value(Duration.ofSeconds(10), "the deploy's and the switch's audit lines",
                    () -> Files.exists(audit) ? Files.readAllLines(audit) : List.of(),
                    l -> l.stream().anyMatch(x -> x.contains("\"what\":\"switch\"")));
            String all = String.join("\n", lines);
            assertTrue(all.contains("\"what\":\"deploy\",\"app\":\"audited\",\"deployment\":\"" + id
                    + "\",\"client\":\"tcp 127.0.0.1:"), all);
            assertTrue(all.contains("\"what\":\"deploy_succeeded\""), all);
            assertTrue(all.contains("\"what\":\"switch\",\"app\":\"audited\""), all);
            assertFalse(all.contains(cutover.adminToken()), "the token is never recorded");
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(audit)), "who did what is for the operator only");

            StringWriter out = new StringWriter();
            int code = Main.execute(new String[] {"history", "--admin", cutover.adminAddress(), "--admin-token",
                    cutover.adminToken(), "--last", "10"}, new PrintWriter(out, true), new PrintWriter(new StringWriter(), true));
            assertEquals(0, code, out.toString());
            assertTrue(out.toString().contains("audited  deploy " + id + "  by tcp 127.0.0.1:"), out.toString());
            assertTrue(out.toString().contains("audited  switch  by tcp 127.0.0.1:"), out.toString());
            assertTrue(out.toString().contains("target=127.0.0.1:" + v2.port() + "  -> 200"), out.toString());
        }
    }
}
