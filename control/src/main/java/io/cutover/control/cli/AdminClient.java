package io.cutover.control.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cutover.control.Json;
import io.cutover.control.admin.ApiModel.ErrorResponse;
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

    AdminClient(String admin, String token, String app) {
        this.admin = admin;
        this.token = token;
        this.app = app == null || app.isBlank() ? null : app.trim();
    }

    <T> T get(String path, Class<T> type) {
        return call(authorized(HttpRequest.newBuilder(uri(path))).GET().build(), type);
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
            return call(authorized(HttpRequest.newBuilder(uri(path)))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body))).build(), type);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new CliFailure("cannot encode request: " + e.getMessage());
        }
    }

    private <T> T call(HttpRequest request, Class<T> type) {
        HttpResponse<byte[]> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException e) {
            throw new CliFailure("cannot reach the admin API at " + admin + " (is `cutover serve` running?)");
        } catch (IOException e) {
            throw new CliFailure("admin API at " + admin + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliFailure("interrupted");
        }
        try {
            if (response.statusCode() / 100 != 2) {
                ErrorResponse error = json.readValue(response.body(), ErrorResponse.class);
                throw new CliFailure(error.error() + " (HTTP " + response.statusCode() + ")");
            }
            return json.readValue(response.body(), type);
        } catch (IOException e) {
            throw new CliFailure("unexpected answer from " + admin + " (HTTP " + response.statusCode() + ")");
        }
    }

    private HttpRequest.Builder authorized(HttpRequest.Builder b) {
        return token == null || token.isBlank() ? b : b.header("Authorization", "Bearer " + token.trim());
    }

    private URI uri(String path) {
        try {
            return URI.create("http://" + admin + path + (app == null || path.startsWith("/v1/deploys/") ? ""
                    : "?app=" + java.net.URLEncoder.encode(app, java.nio.charset.StandardCharsets.UTF_8)));
        } catch (IllegalArgumentException e) {
            throw new CliFailure("bad --admin address '" + admin + "'");
        }
    }
}
