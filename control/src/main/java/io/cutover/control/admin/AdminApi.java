package io.cutover.control.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cutover.control.app.Apps;
import io.cutover.control.audit.AuditTrail;
import io.cutover.control.app.Reload;
import io.cutover.control.observe.Metrics;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The admin API's route table, independent of the HTTP server carrying it: each path and method
 * to its endpoint ({@link TrafficEndpoints}, {@link DeployEndpoints}, {@link StatusView}, and the
 * process's own: reload, reopen-logs, upgrade, the load balancer's check ({@link LoadBalancerEndpoint}),
 * metrics). Nothing here blocks: a switch runs on the
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
    private final LoadBalancerEndpoint lb;
    private final AuditTrail audit;
    private final ObjectMapper json;

    /** @param audit where changes asked for are recorded, with who asked and the answer */
    public AdminApi(Apps apps, Reload reload, ProcessControl process, Metrics metrics, ObjectMapper json,
                    AuditTrail audit) {
        this.apps = apps;
        this.audit = audit;
        this.json = json;
        this.reload = reload;
        this.process = process;
        this.metrics = metrics;
        RequestBody bodies = new RequestBody(json);
        this.traffic = new TrafficEndpoints(bodies);
        this.deploys = new DeployEndpoints(apps, bodies);
        this.lb = new LoadBalancerEndpoint(bodies, process::loadBalancer);
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
        return handle(new Call(method, path, app, body, "unknown", Map.of()));
    }

    /**
     * A request as the server carries it.
     *
     * @param app    the app named by {@code ?app=NAME}, or null
     * @param client who asks, for the audit trail ("tcp 127.0.0.1:51234", "unix uid 1000 pid 4242")
     * @param query  the other query parameters, each its first value
     */
    public record Call(String method, String path, String app, byte[] body, String client, Map<String, String> query) {
    }

    /** @return the reply; never completes exceptionally (an error is a reply with its status) */
    public CompletableFuture<Reply> handle(Call call) {
        CompletableFuture<Reply> reply;
        try {
            reply = route(call).exceptionally(ApiErrors::reply);
        } catch (Exception e) {
            reply = CompletableFuture.completedFuture(ApiErrors.reply(e));
        }
        String what = AUDITED.get(call.path());
        if (what != null && "POST".equals(call.method())) {
            reply.thenAccept(r -> audit(what, call, r));
        }
        return reply;
    }

    /** The endpoints that change something, by the name they have in the audit trail. */
    private static final Map<String, String> AUDITED = Map.of("/v1/switch", "switch", "/v1/maintenance", "maintenance",
            "/v1/pause", "pause", "/v1/resume", "resume", "/v1/deploy", "deploy", "/v1/rollback", "rollback",
            "/v1/canary", "canary", "/v1/reload", "reload", "/v1/upgrade", "upgrade", "/v1/lb", "lb");
    /** What of a request is recorded: fields that name what was asked, never env or a command's words (secrets). */
    private static final java.util.List<String> RECORDED = java.util.List.of("target", "on", "action", "percent",
            "image", "release", "canary", "timeoutSeconds", "maxHeld", "waitForLock", "in", "compose", "service",
            "project", "replicas");

    private void audit(String what, Call call, Reply r) {
        Map<String, Object> request = new java.util.LinkedHashMap<>();
        try {
            if (call.body() != null && call.body().length > 0) {
                com.fasterxml.jackson.databind.JsonNode asked = json.readTree(call.body());
                for (String field : RECORDED) {
                    if (asked != null && asked.has(field)) {
                        request.put(field, json.treeToValue(asked.get(field), Object.class));
                    }
                }
            }
        } catch (Exception e) {
            request.put("unreadable", true);
        }
        String deployment = null;
        String result = String.valueOf(r.status());
        if (r.body() instanceof ApiModel.ErrorResponse err) {
            result += ": " + err.error();
        } else if (r.body() instanceof ApiModel.DeploymentView d) {
            deployment = d.id();
            request.put("release", d.release());
        } else if (r.body() instanceof ApiModel.CanaryAccepted c) {
            deployment = c.deployId();
        }
        String app = call.app();
        if (app == null && !what.equals("reload") && !what.equals("upgrade") && !what.equals("lb")) {
            try {
                app = apps.find(null).name();
            } catch (Exception e) {
                // several apps and none named: refused, recorded without an app
            }
        }
        audit.record(new AuditTrail.Entry(java.time.Instant.now(), what, app, deployment, call.client(),
                request.isEmpty() ? null : request, result));
    }

    private CompletableFuture<Reply> route(Call call) throws Exception {
        String method = call.method();
        String path = call.path();
        String app = call.app();
        byte[] body = call.body();
        return switch (path) {
            case "/v1/history" -> only("GET", method, () -> history(app, call.query().get("last")));
            case "/v1/status" -> only("GET", method, () -> done(200, StatusView.of(apps, app)));
            case "/v1/switch" -> only("POST", method, () -> traffic.switchTo(apps.find(app), body));
            case "/v1/maintenance" -> only("POST", method, () -> traffic.maintenance(apps.find(app), body));
            case "/v1/pause" -> only("POST", method, () -> traffic.pause(apps.find(app), body));
            case "/v1/resume" -> only("POST", method, () -> traffic.resume(apps.find(app)));
            case "/v1/deploy" -> only("POST", method, () -> done(202, deploys.deploy(apps.find(app), body)));
            case "/v1/rollback" -> only("POST", method, () -> done(202, deploys.rollback(apps.find(app), body)));
            case "/v1/canary" -> only("POST", method, () -> CompletableFuture.completedFuture(
                    deploys.canary(apps.find(app), body)));
            case "/v1/lb" -> "POST".equals(method) ? done(200, lb.change(body))
                    : only("GET", method, () -> done(200, lb.view()));
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

    /** The audit trail's last lines ({@code ?last=N}, 50 by default, at most 10,000), of one app if named. */
    private CompletableFuture<Reply> history(String app, String last) throws Exception {
        int n = 50;
        if (last != null) {
            try {
                n = Integer.parseInt(last);
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1 || n > 10_000) {
                throw new ApiException(400, "last must be a number from 1 to 10000, got '" + last + "'");
            }
        }
        if (app != null) {
            apps.find(app);     // 404 for an app cutover does not serve
        }
        return audit.history(app, n).thenApply(lines -> new Reply(200, Map.of("entries", lines)));
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
