package io.cutover.control.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cutover.control.admin.Json;
import io.cutover.control.cli.Main.CliFailure;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;

/** Calls the admin API of a running cutover; any failure becomes a {@link CliFailure}. */
final class AdminClient {
    private final String admin;
    private final String token;
    /** How long making a TCP connection may take. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    private final String app;
    /** {@code --admin unix:PATH}: the admin API's unix socket (cutover.admin-socket). */
    private static final String UNIX = "unix:";
    /** How long a request may take in all when none is given (an upgrade waits for a new JVM's health). */
    private static final Duration DEADLINE = Duration.ofMinutes(15);

    /** How long one request over TCP may take in all; null: {@link #DEADLINE} (a deploy's request is answered at once). */
    private final Duration requestTimeout;

    /** The one JSON mapper of the CLI's calls (made once: making one costs a command tens of milliseconds). */
    private static final class Mapper {
        static final ObjectMapper JSON = Json.mapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    /** The CLI's JSON mapper, lenient about fields it does not know (a newer cutover may send more). */
    static ObjectMapper json() {
        return Mapper.JSON;
    }

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

    /** {@code GET path}, its answer as a tree, read without an ObjectMapper (see {@link JsonTree}). */
    com.fasterxml.jackson.databind.JsonNode tree(String path) {
        return call("GET", path, null, null);
    }

    /**
     * {@code POST path} with an empty JSON object, its answer as a tree, with {@code what} leading
     * any failure's message; no ObjectMapper (see {@link JsonTree}).
     */
    com.fasterxml.jackson.databind.JsonNode postTree(String path, String what) {
        try {
            return call("POST", path, EMPTY_OBJECT.clone(), null);
        } catch (CliFailure e) {
            throw new CliFailure(what + ": " + e.getMessage());
        }
    }

    private static final byte[] EMPTY_OBJECT = "{}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

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
            return call("POST", path, json().writeValueAsBytes(body), type);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new CliFailure("cannot encode request: " + e.getMessage());
        }
    }

    /**
     * Sends one request, over TCP or (--admin unix:PATH) the admin API's unix socket; {@code type}
     * null: the answer as a tree ({@link JsonTree}).
     */
    @SuppressWarnings("unchecked")
    private <T> T call(String method, String path, byte[] body, Class<T> type) {
        int statusCode;
        byte[] responseBody;
        try {
            AdminHttp.Response r;
            if (admin.startsWith(UNIX)) {
                r = AdminHttp.unix(java.nio.file.Path.of(admin.substring(UNIX.length())), method, target(path), token,
                        body, DEADLINE);
            } else {
                URI uri = uri(path);
                r = AdminHttp.tcp(uri.getHost(), uri.getPort() < 0 ? 80 : uri.getPort(), uri.getRawAuthority(), method,
                        uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()), bearer(), body,
                        CONNECT_TIMEOUT, requestTimeout == null ? DEADLINE : requestTimeout);
            }
            statusCode = r.status();
            responseBody = r.body();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new CliFailure(requestTimeout == null || admin.startsWith(UNIX) ? "admin API at " + admin
                    + " did not answer within " + DEADLINE.toMinutes() + " minutes"
                    : "admin API at " + admin + " did not answer in time");
        } catch (java.nio.file.InvalidPathException e) {
            throw new CliFailure("bad --admin address '" + admin + "'");
        } catch (AdminHttp.ConnectTimeout e) {
            throw new CliFailure("cannot reach the admin API at " + admin + " (connecting timed out)");
        } catch (UnknownHostException e) {
            throw new CliFailure("cannot reach the admin API at " + admin + " (unknown host)");
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
                // {"status": ..., "error": "..."} (ApiModel.ErrorResponse), read as a tree: an error costs no ObjectMapper
                com.fasterxml.jackson.databind.JsonNode error = JsonTree.read(responseBody).get("error");
                if (error == null || !error.isTextual()) {
                    throw new IOException("no error text");
                }
                throw new CliFailure(error.asText() + " (HTTP " + statusCode + ")");
            }
            return type == null ? (T) JsonTree.read(responseBody) : json().readValue(responseBody, type);
        } catch (IOException e) {
            throw new CliFailure("unexpected answer from " + admin + " (HTTP " + statusCode + ")");
        }
    }

    /** The token to send, or null for none. */
    private String bearer() {
        return token == null || token.isBlank() ? null : token;
    }

    /** The request target: the path, and the app unless the path names a deploy. */
    private String target(String path) {
        return path + (app == null || path.startsWith("/v1/deploys/") ? ""
                : (path.indexOf('?') >= 0 ? "&" : "?") + "app=" + java.net.URLEncoder.encode(app, java.nio.charset.StandardCharsets.UTF_8));
    }

    private URI uri(String path) {
        URI uri;
        try {
            uri = URI.create("http://" + admin + target(path));
        } catch (IllegalArgumentException e) {
            throw new CliFailure("bad --admin address '" + admin + "'");
        }
        if (uri.getHost() == null) {
            throw new CliFailure("bad --admin address '" + admin + "'");
        }
        return uri;
    }
}
