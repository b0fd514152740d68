package io.cutover.control;

import io.cutover.control.admin.AdminToken;
import io.cutover.proxy.TestHttp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;

/**
 * Admin API requests as the CLI sends them: the token (the configured one, or the one cutover
 * made in its state directory) and {@code Content-Type: application/json} on a POST. Tests use
 * this rather than adding either themselves.
 */
final class TestAdmin {
    private TestAdmin() {
    }

    /** The token a cutover's admin API wants, or null if it wants none. */
    static String token(Cutover c) {
        return c.settings().adminToken().token().orElseGet(() -> c.settings().adminToken().isNone() ? null
                : token(c.settings().stateDir()));
    }

    /** The token in a state directory (a cutover run as a process made it), or null. */
    static String token(Path stateDir) {
        try {
            return AdminToken.read(stateDir).orElse(null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code method path} on a cutover's admin API, with a body (null: none). */
    static HttpRequest.Builder request(Cutover c, String method, String path, String body) {
        return request("127.0.0.1:" + c.adminAddress().getPort(), token(c), method, path, body);
    }

    /** The same, for an admin API at {@code hostPort} wanting {@code token} (null: none). */
    static HttpRequest.Builder request(String hostPort, String token, String method, String path, String body) {
        HttpRequest.Builder b = TestHttp.request(URI.create("http://" + hostPort + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (method.equals("POST")) {
            b.header("Content-Type", "application/json");
        }
        return token == null ? b : b.header("Authorization", "Bearer " + token);
    }

    /** The header lines a raw admin request needs (each ending in CRLF): the token's, if any. */
    static String rawHeaders(String token) {
        return token == null ? "" : "Authorization: Bearer " + token + "\r\n";
    }
}
