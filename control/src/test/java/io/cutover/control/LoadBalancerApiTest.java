package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.control.cli.Main;
import io.cutover.proxy.Eventually;
import io.cutover.proxy.TestBackend;
import io.cutover.proxy.TestHttp;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/lb}: an operator (a rolling deploy) takes a host out of the load balancer, whose
 * check then fails while every request is served as before, and puts it back; validated,
 * token-protected and audited like any change.
 */
class LoadBalancerApiTest {
    @TempDir
    Path dir;

    @Test
    void aHostTakenOutFailsTheBalancersCheckServesOnAndJoinsAgainEachChangeAudited() throws Exception {
        try (TestBackend app = TestBackend.start("app");
             TestCutover cutover = TestCutover.start(Map.of("cutover.target", app.target().toString(),
                     "cutover.lb-health.path", "/lb", "cutover.state-dir", dir.toString()))) {
            assertEquals(200, cutover.get("/lb").statusCode());
            assertEquals(400, cutover.admin("POST", "/v1/lb", "{}").statusCode());
            assertEquals(400, cutover.admin("POST", "/v1/lb", "{\"in\": \"maybe\"}").statusCode());
            assertEquals(400, cutover.admin("POST", "/v1/lb", "[1]").statusCode());
            assertEquals(405, cutover.admin("PUT", "/v1/lb", "{\"in\": false}").statusCode());
            HttpResponse<String> unauthorised = TestHttp.client().send(TestAdmin.request(cutover.adminAddress(),
                    "wrong", "POST", "/v1/lb", "{\"in\": false}").build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, unauthorised.statusCode());
            assertEquals(200, cutover.get("/lb").statusCode(), "a refused request changed nothing");

            HttpResponse<String> left = cutover.admin("POST", "/v1/lb", "{\"in\": false}");
            assertEquals(200, left.statusCode(), left.body());
            JsonNode v = cutover.json(left.body());
            assertFalse(v.get("in").asBoolean());
            assertTrue(v.get("out").asBoolean());
            assertEquals("/lb", v.get("path").asText());
            HttpResponse<String> check = cutover.get("/lb");
            assertEquals(503, check.statusCode());
            assertEquals("out of rotation\n", check.body());
            assertEquals("app", cutover.get("/orders").body(), "it serves on");
            JsonNode now = cutover.json(cutover.admin("GET", "/v1/lb", null).body());
            assertTrue(now.get("checksFailed").asLong() >= 1, now.toString());
            assertTrue(now.get("requests").asLong() >= 1, "the requests it served are counted: " + now);

            StringWriter out = new StringWriter();
            int code = Main.execute(new String[] {"lb", "in", "--admin", cutover.adminAddress(), "--admin-token",
                    cutover.adminToken()}, new PrintWriter(out, true), new PrintWriter(out, true));
            assertEquals(0, code, out.toString());
            assertTrue(out.toString().contains("/lb: in the load balancer"), out.toString());
            assertEquals(200, cutover.get("/lb").statusCode());

            Path audit = dir.resolve("audit.jsonl");
            List<String> lines = Eventually.value(Duration.ofSeconds(10), "the two changes in the audit trail",
                    () -> Files.exists(audit) ? Files.readAllLines(audit) : List.of(),
                    l -> l.stream().filter(s -> s.contains("\"what\":\"lb\"") && s.contains("\"result\":\"200\""))
                            .count() >= 2);
            String all = String.join("\n", lines);
            assertTrue(all.contains("\"in\":false") && all.contains("\"in\":true"), all);
        }
    }

    @Test
    void withoutALoadBalancerCheckLeavingIsRefusedWithWhatToSet() throws Exception {
        try (TestBackend app = TestBackend.start("app");
             TestCutover cutover = TestCutover.start(Map.of("cutover.target", app.target().toString(),
                     "cutover.state-dir", dir.toString()))) {
            HttpResponse<String> r = cutover.admin("POST", "/v1/lb", "{\"in\": false}");
            assertEquals(409, r.statusCode());
            assertTrue(r.body().contains("cutover.lb-health.path"), r.body());
            assertEquals(409, cutover.admin("GET", "/v1/lb", null).statusCode());
        }
    }
}
