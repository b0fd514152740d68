package io.cutover.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.config.ConfigError;
import io.cutover.control.config.ConfigLoader;
import io.cutover.control.config.Settings;
import io.cutover.proxy.TestHttp;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AdminSecurityTest {
    private static final String TOKEN = "s3cret-token-0123456789";
    private final HttpClient http = TestHttp.client();

    @Test
    void refusesToStartWithTheAdminApiBeyondLoopbackAndTheTokenTurnedOff() {
        String msg = assertThrows(ConfigError.class, () -> ConfigLoader.load(Optional.empty(),
                Map.of("cutover.admin", "0.0.0.0:8099", "cutover.admin-token", ""))).getMessage();
        assertTrue(msg.contains("cutover.admin-token"), msg);
        assertTrue(msg.contains("not loopback"), msg);
    }

    @Test
    void refusesATokenTooShortToBeATokenNamingTheKey() {
        String msg = assertThrows(ConfigError.class, () -> ConfigLoader.load(Optional.empty(),
                Map.of("cutover.admin-token", "abc"))).getMessage();
        assertTrue(msg.contains("cutover.admin-token"), msg);
    }

    @Test
    void beyondLoopbackWithATokenEveryRequestNeedsTheBearerToken() throws Exception {
        Settings settings = ConfigLoader.load(Optional.empty(), Map.of(
                "cutover.listen", "127.0.0.1:0", "cutover.admin", "0.0.0.0:0", "cutover.admin-token", TOKEN));
        try (Cutover cutover = Cutover.start(settings, Clock.systemUTC())) {
            URI status = URI.create("http://127.0.0.1:" + cutover.adminAddress().getPort() + "/v1/status");
            HttpResponse<String> none = http.send(TestHttp.request(status).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, none.statusCode());
            assertEquals("Bearer", none.headers().firstValue("www-authenticate").orElse(""));
            assertEquals(401, http.send(TestHttp.request(status).header("Authorization", "Bearer wrong-token-0123456")
                    .build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(401, http.send(TestHttp.request(status).header("Authorization", TOKEN)
                    .build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(200, http.send(TestHttp.request(status).header("Authorization", "Bearer " + TOKEN)
                    .build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            HttpResponse<String> metrics = http.send(TestHttp.request(
                    URI.create("http://127.0.0.1:" + cutover.adminAddress().getPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(401, metrics.statusCode());
        }
    }

    @Test
    void anAdminRequestThatNeverFinishesHasItsConnectionClosed() throws Exception {
        Settings settings = ConfigLoader.load(Optional.empty(), Map.of(
                "cutover.listen", "127.0.0.1:0", "cutover.admin", "127.0.0.1:0", "cutover.health.deadline", "100ms"));
        try (Cutover cutover = Cutover.start(settings, Clock.systemUTC());
             java.net.Socket s = new java.net.Socket("127.0.0.1", cutover.adminAddress().getPort())) {
            s.getOutputStream().write(("POST /v1/switch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100\r\n\r\n{").getBytes());
            s.setSoTimeout(30_000);
            assertEquals(-1, s.getInputStream().read(), "closed by the admin API's read timeout");
        }
    }

    @Test
    void theCliSendsTheTokenFromItsFlag() throws Exception {
        Settings settings = ConfigLoader.load(Optional.empty(), Map.of(
                "cutover.listen", "127.0.0.1:0", "cutover.admin", "127.0.0.1:0", "cutover.admin-token", TOKEN));
        try (Cutover cutover = Cutover.start(settings, Clock.systemUTC())) {
            String admin = "127.0.0.1:" + cutover.adminAddress().getPort();
            java.io.StringWriter out = new java.io.StringWriter();
            java.io.StringWriter err = new java.io.StringWriter();
            int without = io.cutover.control.cli.Main.execute(new String[] {"status", "--admin", admin},
                    new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true));
            assertEquals(1, without);
            assertTrue(err.toString().contains("missing or wrong token"), err.toString());
            int with = io.cutover.control.cli.Main.execute(new String[] {"status", "--admin", admin, "--admin-token", TOKEN},
                    new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true));
            assertEquals(0, with, err.toString());
        }
    }
}
