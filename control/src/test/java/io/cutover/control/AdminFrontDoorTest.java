package io.cutover.control;

import io.cutover.control.boot.StartupFailure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.control.config.ConfigError;
import io.cutover.control.config.ConfigLoader;
import io.cutover.control.config.Settings;
import io.cutover.proxy.RawHttp;
import io.cutover.proxy.TestBackend;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The admin API is safe by default: a web page in a browser on this host (directly, or through
 * DNS rebinding) cannot drive it, other local users need the token cutover made, and the CLI of
 * the same user needs no flag.
 */
class AdminFrontDoorTest {
    /** Every admin route that changes something; upgrade last (refused, it would start a JVM). */
    private static final List<String> POST_ROUTES = List.of("/v1/switch", "/v1/maintenance", "/v1/pause",
            "/v1/resume", "/v1/deploy", "/v1/rollback", "/v1/canary", "/v1/reload", "/v1/reopen-logs", "/v1/upgrade");
    private static final String TOKEN = "configured-token-0123456789";

    @TempDir
    Path dir;

    /** Browser-shaped requests (each with the right token even: the front door comes first). */
    private static List<String> browserShaped(String path, int port, String token, String target) {
        String body = path.equals("/v1/switch") ? "{\"target\":\"" + target + "\"}"
                : path.equals("/v1/maintenance") ? "{\"on\":true,\"page\":\"<script>alert(1)</script>\"}" : "{}";
        String auth = TestAdmin.rawHeaders(token);
        String ip = "Host: 127.0.0.1:" + port + "\r\n";
        String length = "Content-Length: " + body.length() + "\r\n\r\n" + body;
        return List.of(
                // fetch() with a simple content type, as any page can send without asking first
                "POST " + path + " HTTP/1.1\r\n" + ip + auth + "Origin: https://evil.example\r\n"
                        + "Content-Type: text/plain\r\n" + length,
                // a form posted by a page
                "POST " + path + " HTTP/1.1\r\n" + ip + auth + "Content-Type: application/x-www-form-urlencoded\r\n"
                        + length,
                // DNS rebinding: the page's own name, now resolving to 127.0.0.1
                "POST " + path + " HTTP/1.1\r\nHost: rebind.evil.example:" + port + "\r\n" + auth
                        + "Content-Type: application/json\r\n" + length,
                "POST " + path + " HTTP/1.1\r\n" + ip + auth + "Sec-Fetch-Site: cross-site\r\n"
                        + "Content-Type: application/json\r\n" + length,
                // a sandboxed page or a redirect: Origin null
                "POST " + path + " HTTP/1.1\r\n" + ip + auth + "Origin: null\r\nContent-Type: application/json\r\n"
                        + length,
                "POST " + path + " HTTP/1.1\r\n" + auth + "Content-Type: application/json\r\n" + length);
    }

    private static RawHttp.Response send(int port, String request) throws Exception {
        try (RawHttp raw = new RawHttp(new InetSocketAddress("127.0.0.1", port))) {
            return raw.send(request).read();
        }
    }

    @Test
    void aBrowserShapedPostToEveryAdminRouteIsRefusedWith403AndChangesNothing() throws Exception {
        try (TestBackend blue = TestBackend.start("blue"); TestBackend green = TestBackend.start("green");
             TestCutover c = TestCutover.start("cutover.target", blue.target().toString())) {
            int port = c.cutover().adminAddress().getPort();
            for (String path : POST_ROUTES) {
                for (String request : browserShaped(path, port, c.adminToken(), green.target().toString())) {
                    RawHttp.Response r = send(port, request);
                    String shape = request.lines().limit(5).filter(l -> !l.startsWith("Authorization"))
                            .collect(Collectors.joining(" | "));
                    assertEquals(403, r.status(), shape + " -> " + r.body());
                    JsonNode error = c.json(r.body());
                    assertEquals(403, error.get("status").asInt(), r.body());
                    assertFalse(error.get("error").asText().isBlank(), r.body());
                    assertFalse(r.body().contains("\n"), "one line: " + r.body());
                }
            }
            JsonNode status = c.status();
            assertEquals(blue.target().toString(), status.get("active").asText(), "route unchanged: " + status);
            assertFalse(status.get("maintenance").asBoolean(), "maintenance still off: " + status);
            assertTrue(status.get("paused").isNull(), status.toString());
            assertTrue(status.get("lastSwitch").isNull(), status.toString());
            assertEquals("blue", c.get("/").body());
        }
    }

    @Test
    void curlPrometheusAndTheCliStillGetThroughByIpLocalhostOrAConfiguredName() throws Exception {
        try (TestBackend blue = TestBackend.start("blue");
             TestCutover c = TestCutover.start(Map.of("cutover.target", blue.target().toString(),
                     "cutover.admin-hosts", List.of("cutover.internal")))) {
            int port = c.cutover().adminAddress().getPort();
            String auth = TestAdmin.rawHeaders(c.adminToken());
            for (String host : List.of("127.0.0.1:" + port, "127.0.0.1", "localhost:" + port, "LOCALHOST",
                    "[::1]:" + port, "cutover.internal:" + port, "Cutover.Internal")) {
                assertEquals(200, send(port, "GET /v1/status HTTP/1.1\r\nHost: " + host + "\r\n" + auth + "\r\n").status(),
                        host);
                assertEquals(200, send(port, "GET /metrics HTTP/1.1\r\nHost: " + host + "\r\n" + auth
                        + "Accept: text/plain\r\n\r\n").status(), host);
            }
            assertEquals(200, send(port, "GET /v1/status HTTP/1.1\r\nHost: localhost\r\n" + auth
                    + "Sec-Fetch-Site: none\r\n\r\n").status(), "typed into the address bar");
            assertEquals(403, send(port, "GET /v1/status HTTP/1.1\r\nHost: other.internal\r\n" + auth + "\r\n").status());
            String on = "{\"on\": true}";
            assertEquals(200, send(port, "POST /v1/maintenance HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth
                    + "Content-Type: Application/JSON; charset=utf-8\r\nContent-Length: " + on.length() + "\r\n\r\n" + on)
                    .status(), "parameters and case do not matter");
            assertTrue(c.status().get("maintenance").asBoolean());
        }
    }

    @Test
    void aDefaultStartMakesAPrivateTokenAndARequestWithoutItIs401() throws Exception {
        try (TestCutover c = TestCutover.start("cutover.state-dir", dir.toString())) {
            Path file = dir.resolve("admin-token");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            String token = Files.readString(file).trim();
            assertTrue(token.matches("[A-Za-z0-9_-]{43}"), "32 random bytes, base64url");
            int port = c.cutover().adminAddress().getPort();
            assertEquals(401, send(port, "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").status());
            assertEquals(401, send(port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").status());
            assertEquals(200, send(port, "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + TestAdmin.rawHeaders(token) + "\r\n").status());
        }
    }

    @Test
    void theCliWithNoTokenFlagWorksAgainstACutoverStartedWithTheDefaults() throws Exception {
        // the state directory as `cutover serve` computes it ($CUTOVER_STATE_DIR in the test run)
        Settings settings = ConfigLoader.load(Optional.empty(), Map.of(
                "cutover.listen", "127.0.0.1:0", "cutover.admin", "127.0.0.1:0"));
        assertTrue(settings.adminToken().isNotSet());
        try (Cutover cutover = Cutover.start(settings, Clock.systemUTC())) {
            Path file = settings.stateDir().resolve("admin-token");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = io.cutover.control.cli.Main.execute(new String[] {"status", "--admin",
                    "127.0.0.1:" + cutover.adminAddress().getPort()}, new PrintWriter(out, true), new PrintWriter(err, true));
            assertEquals(0, code, err.toString());
            assertFalse(out.toString().contains(Files.readString(file).trim()), "the token is not shown");
        }
    }

    @Test
    void theTokenFileIsUsedAgainByTheNextStart() throws Exception {
        String first;
        try (TestCutover c = TestCutover.start("cutover.state-dir", dir.toString())) {
            first = c.adminToken();
            assertNotNull(first);
        }
        try (TestCutover c = TestCutover.start("cutover.state-dir", dir.toString())) {
            assertEquals(first, c.adminToken());
            assertEquals(200, c.admin("GET", "/v1/status", null).statusCode());
        }
    }

    @Test
    void aTokenFileOtherUsersCouldReadStopsStartUpWithoutShowingIt() throws Exception {
        String token;
        try (TestCutover c = TestCutover.start("cutover.state-dir", dir.toString())) {
            token = c.adminToken();
        }
        Files.setPosixFilePermissions(dir.resolve("admin-token"), PosixFilePermissions.fromString("rw-r--r--"));
        StartupFailure e = assertThrows(StartupFailure.class, () -> TestCutover.start("cutover.state-dir", dir.toString()));
        assertTrue(e.getMessage().contains("rw-r--r--") && e.getMessage().contains("chmod 600"), e.getMessage());
        assertFalse(e.getMessage().contains(token));
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void anEmptyTokenWithALoopbackAdminWorksWithoutOneAndSaysSo() throws Exception {
        ListAppender<ILoggingEvent> logs = capture();
        try (TestCutover c = TestCutover.start("cutover.state-dir", dir.toString(), "cutover.admin-token", "")) {
            assertEquals(200, send(c.cutover().adminAddress().getPort(),
                    "GET /v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").status());
            assertFalse(Files.exists(dir.resolve("admin-token")), "no token, no file");
            // the browser checks hold without a token too
            assertEquals(403, send(c.cutover().adminAddress().getPort(), "POST /v1/maintenance HTTP/1.1\r\n"
                    + "Host: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n{\"on\":true}").status());
        } finally {
            release(logs);
        }
        assertTrue(logs.list.stream().anyMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN
                && e.getFormattedMessage().contains("any local user and process can drive cutover")), logs.list.toString());
    }

    @Test
    void anEmptyTokenWithAnAdminBeyondLoopbackRefusesToStart() {
        String msg = assertThrows(ConfigError.class, () -> ConfigLoader.load(Optional.empty(), Map.of(
                "cutover.admin", "0.0.0.0:8099", "cutover.admin-token", ""))).getMessage();
        assertTrue(msg.contains("cutover.admin-token") && msg.contains("not loopback"), msg);
    }

    @Test
    void theTokenNeverShowsInStatusLogsSettingsOrErrors() throws Exception {
        ListAppender<ILoggingEvent> logs = capture();
        String made;
        try (TestCutover c = TestCutover.start("cutover.state-dir", dir.toString())) {
            made = c.adminToken();
            assertFalse(c.admin("GET", "/v1/status", null).body().contains(made));
            assertFalse(c.admin("GET", "/metrics", null).body().contains(made));
        } finally {
            release(logs);
        }
        Settings configured = ConfigLoader.load(Optional.empty(), Map.of("cutover.admin-token", TOKEN));
        assertFalse(configured.toString().contains(TOKEN), configured.toString());
        for (ILoggingEvent e : logs.list) {
            assertFalse(e.getFormattedMessage().contains(made), e.getFormattedMessage());
        }
        String shortOne = "short-secret";
        String msg = assertThrows(ConfigError.class, () -> ConfigLoader.load(Optional.empty(),
                Map.of("cutover.admin-token", shortOne))).getMessage();
        assertFalse(msg.contains(shortOne), msg);
    }

    @Test
    void adminHostsTakesNamesOnly() {
        for (String bad : List.of("*.example", "name:8099", "10.0.0.1", "", "a b", "-a.example")) {
            String msg = assertThrows(ConfigError.class, () -> ConfigLoader.load(Optional.empty(),
                    Map.of("cutover.admin-hosts", List.of(bad))), bad).getMessage();
            assertTrue(msg.contains("cutover.admin-hosts"), msg);
        }
        assertEquals(List.of("cutover.internal"), ConfigLoader.load(Optional.empty(),
                Map.of("cutover.admin-hosts", List.of("Cutover.Internal."))).adminHosts());
    }

    private static ListAppender<ILoggingEvent> capture() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(appender);
        return appender;
    }

    private static void release(ListAppender<ILoggingEvent> appender) {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(appender);
        appender.stop();
    }
}
