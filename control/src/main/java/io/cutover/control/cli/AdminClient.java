package io.cutover.control.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cutover.control.admin.ApiModel.ErrorResponse;
import io.cutover.control.admin.Json;
import io.cutover.control.cli.Main.CliFailure;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Calls the admin API of a running cutover; any failure becomes a {@link CliFailure}. */
final class AdminClient {
    private final String admin;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = Json.mapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final String app;
    /** {@code --admin unix:PATH}: the admin API's unix socket (cutover.admin-socket). */
    private static final String UNIX = "unix:";
    /** How long a request over the unix socket may take in all (an upgrade waits for a new JVM's health). */
    private static final Duration UNIX_DEADLINE = Duration.ofMinutes(15);

    /** How long one request over TCP may take in all; null: no bound (a deploy's request is answered at once). */
    private final Duration requestTimeout;

    AdminClient(String admin, String token, String app) {
        this(admin, token, app, null);
    }

    AdminClient(String admin, String token, String app, Duration requestTimeout) {
        this.requestTimeout = requestTimeout;
        this.admin = admin;
        this.token = token;
        this.app = app == null || app.isBlank() ? null : app.trim();
    }

    /** The admin API's address, as given. */
    String address() {
        return admin;
    }

    <T> T get(String path, Class<T> type) {
        return call("GET", path, null, type);
    }

    /** Like {@link #post(String, Object, Class)}, with {@code what} leading any failure's message. */
    <T> T post(String path, Object body, Class<T> type, String what) {
        try {
            return post(path, body, type);
        } catch (CliFailure e) {
            throw new CliFailure(what + ": " + e.getMessage());
        }
    }

    <T> T post(String path, Object body, Class<T> type) {
        try {
            return call("POST", path, json.writeValueAsBytes(body), type);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new CliFailure("cannot encode request: " + e.getMessage());
        }
    }

    /** Sends one request, over TCP or (--admin unix:PATH) the admin API's unix socket. */
    private <T> T call(String method, String path, byte[] body, Class<T> type) {
        int statusCode;
        byte[] responseBody;
        try {
            if (admin.startsWith(UNIX)) {
                UnixHttp.Response r = UnixHttp.send(java.nio.file.Path.of(admin.substring(UNIX.length())), method,
                        target(path), token, body, UNIX_DEADLINE);
                statusCode = r.status();
                responseBody = r.body();
            } else {
                HttpRequest.Builder b = authorized(HttpRequest.newBuilder(uri(path)));
                if (requestTimeout != null) {
                    b.timeout(requestTimeout);
                }
                HttpRequest request = body == null ? b.GET().build() : b.header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
                HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                statusCode = response.statusCode();
                responseBody = response.body();
            }
        } catch (java.util.concurrent.TimeoutException e) {
            throw new CliFailure("admin API at " + admin + " did not answer within " + UNIX_DEADLINE.toMinutes()
                    + " minutes");
        } catch (java.nio.file.InvalidPathException e) {
            throw new CliFailure("bad --admin address '" + admin + "'");
        } catch (java.net.http.HttpTimeoutException e) {
            throw new CliFailure(e instanceof java.net.http.HttpConnectTimeoutException
                    ? "cannot reach the admin API at " + admin + " (connecting timed out)"
                    : "admin API at " + admin + " did not answer in time");
        } catch (ConnectException | java.nio.file.NoSuchFileException e) {
            throw new CliFailure("cannot reach the admin API at " + admin + " (is `cutover serve` running?)");
        } catch (IOException e) {
            throw new CliFailure("admin API at " + admin + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliFailure("interrupted");
        }
        try {
            if (statusCode / 100 != 2) {
                ErrorResponse error = json.readValue(responseBody, ErrorResponse.class);
                throw new CliFailure(error.error() + " (HTTP " + statusCode + ")");
            }
            return json.readValue(responseBody, type);
        } catch (IOException e) {
            throw new CliFailure("unexpected answer from " + admin + " (HTTP " + statusCode + ")");
        }
    }

    private HttpRequest.Builder authorized(HttpRequest.Builder b) {
        return token == null || token.isBlank() ? b : b.header("Authorization", "Bearer " + token.trim());
    }

    /** The request target: the path, and the app unless the path names a deploy. */
    private String target(String path) {
        return path + (app == null || path.startsWith("/v1/deploys/") ? ""
                : (path.indexOf('?') >= 0 ? "&" : "?") + "app=" + java.net.URLEncoder.encode(app, java.nio.charset.StandardCharsets.UTF_8));
    }

    private URI uri(String path) {
        try {
            return URI.create("http://" + admin + target(path));
        } catch (IllegalArgumentException e) {
            throw new CliFailure("bad --admin address '" + admin + "'");
        }
    }
}
