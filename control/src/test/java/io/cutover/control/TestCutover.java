package io.cutover.control;

import io.cutover.control.admin.Json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cutover.control.config.AppSettings;
import io.cutover.control.config.ConfigLoader;
import io.cutover.control.config.Settings;
import io.cutover.control.deploy.runtime.AppRuntime;
import io.cutover.proxy.Eventually;
import io.cutover.proxy.TestHttp;
import io.cutover.proxy.TestProxy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/** A whole cutover in-process on loopback port 0, configured through the real config loader. */
final class TestCutover implements AutoCloseable {
    private final Cutover cutover;
    private final HttpClient http = TestHttp.client();
    private final ObjectMapper json = Json.mapper();

    private TestCutover(Map<String, ?> overrides, Function<AppSettings, AppRuntime> runtimes)
            throws InterruptedException {
        this(Optional.empty(), overrides, runtimes);
    }

    /** Configured by a file too, which a reload reads again. */
    private TestCutover(Optional<Path> file, Map<String, ?> overrides, Function<AppSettings, AppRuntime> runtimes)
            throws InterruptedException {
        Map<String, Object> all = new HashMap<>(Map.of(
                "cutover.listen", "127.0.0.1:0",
                "cutover.admin", "127.0.0.1:0",
                "cutover.event-loops", "2",
                "cutover.transport", TestProxy.transport().toString(),
                "cutover.health.path", "/health",
                "cutover.health.interval", "20ms",
                "cutover.health.deadline", "2s"));
        all.putAll(overrides);
        if (!all.containsKey("cutover.state-dir")) {
            all.put("cutover.state-dir", tempStateDir().toString());     // never the user's or the system's
        }
        Settings settings = ConfigLoader.load(file, all);
        this.cutover = Cutover.start(settings, Clock.systemUTC(), runtimes, () -> ConfigLoader.load(file, all));
    }

    /** With a config file, read again by {@code POST /v1/reload}. */
    static TestCutover start(Path file, Map<String, ?> overrides, Function<AppSettings, AppRuntime> runtimes)
            throws InterruptedException {
        return new TestCutover(Optional.of(file), overrides, runtimes);
    }

    static TestCutover start(Map<String, ?> overrides) throws InterruptedException {
        return new TestCutover(overrides, Cutover::runtimeFor);
    }

    /** With the app's runtime made by the test (one that misbehaves on cue). */
    static TestCutover start(Map<String, ?> overrides, Function<AppSettings, AppRuntime> runtimes)
            throws InterruptedException {
        return new TestCutover(overrides, runtimes);
    }

    private static Path tempStateDir() {
        try {
            Path dir = Files.createTempDirectory("cutover-state");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static TestCutover start(String... keyValues) throws InterruptedException {
        Map<String, String> overrides = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            overrides.put(keyValues[i], keyValues[i + 1]);
        }
        return new TestCutover(overrides, Cutover::runtimeFor);
    }

    Cutover cutover() {
        return cutover;
    }

    /** The admin API's token (the one cutover made in its state directory, unless configured), or null. */
    String adminToken() {
        return TestAdmin.token(cutover);
    }

    String adminAddress() {
        return "127.0.0.1:" + cutover.adminAddress().getPort();
    }

    URI proxyUri(String path) {
        return URI.create("http://127.0.0.1:" + cutover.proxyAddress().getPort() + path);
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(TestHttp.request(proxyUri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** An admin request as the CLI sends it: with the token, and a POST as application/json. */
    HttpResponse<String> admin(String method, String path, String body) throws Exception {
        return http.send(TestAdmin.request(cutover, method, path, body).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> switchTo(String target) throws Exception {
        return admin("POST", "/v1/switch", "{\"target\": \"" + target + "\"}");
    }

    /** Posts a deploy (to {@code app}, or the only app if null) and returns its id. */
    String deploy(String app, String body) throws Exception {
        HttpResponse<String> r = admin("POST", "/v1/deploy" + (app == null ? "" : "?app=" + app), body);
        if (r.statusCode() != 202) {
            throw new AssertionError("deploy refused: " + r.statusCode() + " " + r.body());
        }
        return json(r.body()).get("id").asText();
    }

    /** Follows a deploy until it succeeds or fails (at most 45 s), and returns it. */
    JsonNode awaitDeploy(String id) throws Exception {
        return Eventually.value(Duration.ofSeconds(45), "the deploy to finish",
                () -> json(admin("GET", "/v1/deploys/" + id, null).body()),
                d -> d.get("state").asText().equals("succeeded") || d.get("state").asText().equals("failed"));
    }

    JsonNode status() throws Exception {
        return json.readTree(admin("GET", "/v1/status", null).body());
    }

    JsonNode json(String text) throws Exception {
        return json.readTree(text);
    }

    @Override
    public void close() {
        cutover.close();
    }
}
