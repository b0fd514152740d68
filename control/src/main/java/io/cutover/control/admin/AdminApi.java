package io.cutover.control.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cutover.control.app.Apps;
import io.cutover.control.app.Reload;
import io.cutover.control.observe.Metrics;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The admin API's route table, independent of the HTTP server carrying it: each path and method
 * to its endpoint ({@link TrafficEndpoints}, {@link DeployEndpoints}, {@link StatusView}, and the
 * process's own: reload, reopen-logs, upgrade, metrics). Nothing here blocks: a switch runs on the
 * event loops, a deploy on the deployer's own thread. {@link ApiErrors} is the one place where
 * errors become statuses.
 */
public final class AdminApi {
    private final Apps apps;
    private final Reload reload;
    private final Metrics metrics;
    private final ProcessControl process;
    private final TrafficEndpoints traffic;
    private final DeployEndpoints deploys;

    public AdminApi(Apps apps, Reload reload, ProcessControl process, Metrics metrics, ObjectMapper json) {
        this.apps = apps;
        this.reload = reload;
        this.process = process;
        this.metrics = metrics;
        RequestBody bodies = new RequestBody(json);
        this.traffic = new TrafficEndpoints(bodies);
        this.deploys = new DeployEndpoints(apps, bodies);
    }

    /** A status and the object to send as JSON (or a {@link Text} sent as it is). */
    public record Reply(int status, Object body) {
    }

    /** A reply body that is not JSON. */
    public record Text(String contentType, String body) {
    }

    public CompletableFuture<Reply> handle(String method, String path, byte[] body) {
        return handle(method, path, null, body);
    }

    /**
     * @param app the app named by {@code ?app=NAME}, or null (then the only app; with several,
     *            status shows them all and the other endpoints ask for a name)
     * @return the reply; never completes exceptionally (an error is a reply with its status)
     */
    public CompletableFuture<Reply> handle(String method, String path, String app, byte[] body) {
        try {
            return route(method, path, app, body).exceptionally(ApiErrors::reply);
        } catch (Exception e) {
            return CompletableFuture.completedFuture(ApiErrors.reply(e));
        }
    }

    private CompletableFuture<Reply> route(String method, String path, String app, byte[] body) throws Exception {
        return switch (path) {
            case "/v1/status" -> only("GET", method, () -> done(200, StatusView.of(apps, app)));
            case "/v1/switch" -> only("POST", method, () -> traffic.switchTo(apps.find(app), body));
            case "/v1/maintenance" -> only("POST", method, () -> traffic.maintenance(apps.find(app), body));
            case "/v1/pause" -> only("POST", method, () -> traffic.pause(apps.find(app), body));
            case "/v1/resume" -> only("POST", method, () -> traffic.resume(apps.find(app)));
            case "/v1/deploy" -> only("POST", method, () -> done(202, deploys.deploy(apps.find(app), body)));
            case "/v1/rollback" -> only("POST", method, () -> done(202, deploys.rollback(apps.find(app), body)));
            case "/v1/canary" -> only("POST", method, () -> CompletableFuture.completedFuture(
                    deploys.canary(apps.find(app), body)));
            case "/v1/reload" -> only("POST", method, () -> reload.run().thenApply(o -> new Reply(200, o)));
            case "/v1/reopen-logs" -> only("POST", method, () -> {
                process.reopenLogs();
                return done(200, Map.of("reopened", true));
            });
            case "/v1/upgrade" -> only("POST", method, () -> process.upgrade().thenApply(u -> new Reply(200, u)));
            case "/metrics" -> only("GET", method,
                    () -> done(200, new Text("text/plain; version=0.0.4; charset=utf-8", metrics.scrape())));
            default -> {
                if (path.startsWith("/v1/deploys/")) {
                    yield only("GET", method, () -> done(200, deploys.deployment(path.substring("/v1/deploys/".length()))));
                }
                throw new ApiException(404, "no such endpoint: " + path);
            }
        };
    }

    /** Every error the API can answer, mapped to its status (see {@link ApiErrors}). */
    Reply reply(Throwable failure) {
        return ApiErrors.reply(failure);
    }

    private interface Route {
        CompletableFuture<Reply> run() throws Exception;
    }

    private static CompletableFuture<Reply> only(String allowed, String method, Route route) throws Exception {
        if (!allowed.equals(method)) {
            throw new ApiException(405, method + " is not allowed here; use " + allowed);
        }
        return route.run();
    }

    private static CompletableFuture<Reply> done(int status, Object body) {
        return CompletableFuture.completedFuture(new Reply(status, body));
    }
}
