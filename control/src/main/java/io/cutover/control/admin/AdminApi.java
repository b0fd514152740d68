package io.cutover.control.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cutover.control.admin.ApiModel.AppView;
import io.cutover.control.admin.ApiModel.BackendView;
import io.cutover.control.admin.ApiModel.CanaryAccepted;
import io.cutover.control.admin.ApiModel.CanaryRequest;
import io.cutover.control.admin.ApiModel.CanaryView;
import io.cutover.control.admin.ApiModel.DeployRequest;
import io.cutover.control.admin.ApiModel.DeploymentView;
import io.cutover.control.admin.ApiModel.ErrorResponse;
import io.cutover.control.admin.ApiModel.InstanceView;
import io.cutover.control.admin.ApiModel.MaintenanceRequest;
import io.cutover.control.admin.ApiModel.MaintenanceView;
import io.cutover.control.admin.ApiModel.PauseRequest;
import io.cutover.control.admin.ApiModel.PauseView;
import io.cutover.control.admin.ApiModel.ResumeView;
import io.cutover.control.admin.ApiModel.RollbackRequest;
import io.cutover.control.admin.ApiModel.Status;
import io.cutover.control.admin.ApiModel.StatusAll;
import io.cutover.control.admin.ApiModel.SwitchRequest;
import io.cutover.control.admin.ApiModel.SwitchResponse;
import io.cutover.control.admin.ApiModel.SwitchView;
import io.cutover.control.app.App;
import io.cutover.control.app.Apps;
import io.cutover.control.app.Reload;
import io.cutover.control.canary.Steering;
import io.cutover.control.config.AppSettings;
import io.cutover.control.config.CanarySettings;
import io.cutover.control.deploy.DeployQueue;
import io.cutover.control.deploy.Deployer;
import io.cutover.control.deploy.Deployment;
import io.cutover.control.deploy.runtime.Release;
import io.cutover.control.deploy.state.AppState;
import io.cutover.control.health.HealthCheck.UnhealthyException;
import io.cutover.control.observe.Metrics;
import io.cutover.control.switching.SwitchService.SwitchInProgressException;
import io.cutover.control.switching.SwitchService;
import io.cutover.proxy.Backend;
import io.cutover.proxy.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's routes, independent of the HTTP server carrying them. Nothing here blocks:
 * a switch runs on the event loops, a deploy on the deployer's own thread.
 * {@link #reply(Throwable)} is the one place where errors become statuses.
 */
public final class AdminApi {
    private static final Logger log = LoggerFactory.getLogger(AdminApi.class);
    static final long DEFAULT_RETRY_AFTER_SECONDS = 60;
    static final long DEFAULT_PAUSE_TIMEOUT_SECONDS = 30;
    static final int DEFAULT_MAX_HELD = 1000;

    private final Apps apps;
    private final Reload reload;
    private final Metrics metrics;
    private final ObjectMapper json;

    private final ProcessControl process;

    public AdminApi(Apps apps, Reload reload, ProcessControl process, Metrics metrics, ObjectMapper json) {
        this.apps = apps;
        this.reload = reload;
        this.process = process;
        this.metrics = metrics;
        this.json = json;
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
     */
    public CompletableFuture<Reply> handle(String method, String path, String app, byte[] body) {
        try {
            return switch (path) {
                case "/v1/status" -> only("GET", method, () -> done(200, app == null && apps.all().size() > 1
                        ? new StatusAll(apps.all().stream().map(this::status).toList()) : status(apps.find(app))));
                case "/v1/switch" -> only("POST", method, () -> switchTo(apps.find(app), body));
                case "/v1/deploy" -> only("POST", method, () -> done(202, deploy(apps.find(app), body)));
                case "/v1/rollback" -> only("POST", method, () -> done(202, rollback(apps.find(app), body)));
                case "/v1/maintenance" -> only("POST", method, () -> maintenance(apps.find(app), body));
                case "/v1/pause" -> only("POST", method, () -> pause(apps.find(app), body));
                case "/v1/resume" -> only("POST", method, () -> resume(apps.find(app)));
                case "/v1/canary" -> only("POST", method, () -> canary(apps.find(app), body));
                case "/v1/reload" -> only("POST", method, () -> reload.run().thenApply(o -> new Reply(200, o)));
                case "/v1/reopen-logs" -> only("POST", method, () -> {
                    process.reopenLogs();
                    return done(200, java.util.Map.of("reopened", true));
                });
                case "/v1/upgrade" -> only("POST", method, () -> process.upgrade().thenApply(u -> new Reply(200, u)));
                case "/metrics" -> only("GET", method,
                        () -> done(200, new Text("text/plain; version=0.0.4; charset=utf-8", metrics.scrape())));
                default -> {
                    if (path.startsWith("/v1/deploys/")) {
                        yield only("GET", method, () -> done(200, deployment(path.substring("/v1/deploys/".length()))));
                    }
                    throw new ApiException(404, "no such endpoint: " + path);
                }
            };
        } catch (Exception e) {
            return CompletableFuture.completedFuture(reply(e));
        }
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

    private static Deployer deployer(App app) throws ApiException {
        return app.deployer().orElseThrow(() -> new ApiException(400, "app " + app.name() + " is not deployed by "
                + "cutover: set cutover.app.name (or serve --app-name), or leave out the app's target, to deploy"));
    }

    private DeploymentView deploy(App app, byte[] body) throws Exception {
        Deployer d = deployer(app);
        DeployRequest request = read(body, DeployRequest.class,
                "{\"image\": \"IMAGE\"} or {\"command\": [\"WORD\", ...]}, with optional \"env\", \"waitForLock\", "
                        + "\"canary\": [10, 50, 100] and \"canaryIntervalMs\"");
        boolean hasImage = request.image() != null && !request.image().isBlank();
        boolean hasCommand = request.command() != null && !request.command().isEmpty();
        if (hasImage && hasCommand) {
            throw new ApiException(400, "name an image or a command, not both");
        }
        boolean docker = d.app().runtime() == AppSettings.Runtime.DOCKER;
        if (docker && hasCommand) {
            throw new ApiException(400, "app " + d.app().name() + " runs containers: deploy an image");
        }
        if (!docker && hasImage) {
            throw new ApiException(400, "app " + d.app().name() + " runs a command: deploy a command, not an image");
        }
        if (request.release() != null && (request.release().isBlank() || request.release().length() > 100
                || request.release().chars().anyMatch(c -> c < ' ' || c == 127))) {
            throw new ApiException(400, "release must be a name of 1 to 100 printable characters");
        }
        Release release = new Release(hasImage ? request.image().trim() : null, request.command(), request.env(),
                request.release());
        CanarySettings plan = d.canaryDefaults();
        if (request.canary() != null || request.canaryIntervalMs() != null) {
            List<Integer> steps = request.canary() != null ? request.canary() : plan.steps();
            String problem = CanarySettings.problemWith(steps);
            if (problem != null) {
                throw new ApiException(400, "canary: " + problem);
            }
            if (request.canaryIntervalMs() != null && request.canaryIntervalMs() <= 0) {
                throw new ApiException(400, "canaryIntervalMs must be more than 0");
            }
            plan = plan.with(steps, request.canaryIntervalMs() == null ? plan.interval()
                    : java.time.Duration.ofMillis(request.canaryIntervalMs()));
        }
        return DeploymentView.of(d.deploy(release, !Boolean.FALSE.equals(request.waitForLock()), plan));
    }

    /** Steers the running canary: promote, abort, or set a share. */
    private CompletableFuture<Reply> canary(App app, byte[] body) throws Exception {
        Deployer d = deployer(app);
        CanaryRequest r = read(body, CanaryRequest.class, "{\"action\": \"promote\"|\"abort\"|\"set\", \"percent\": 25}");
        Steering.Command command = switch (r.action() == null ? "" : r.action()) {
            case "promote" -> new Steering.Command(Steering.Command.Kind.PROMOTE, 100);
            case "abort" -> new Steering.Command(Steering.Command.Kind.ABORT, 0);
            case "set" -> {
                if (r.percent() == null || r.percent() < 0 || r.percent() > 100) {
                    throw new ApiException(400, "set needs a percent from 0 to 100");
                }
                yield new Steering.Command(Steering.Command.Kind.SET, r.percent());
            }
            default -> throw new ApiException(400, "action must be promote, abort or set");
        };
        d.steer(command);
        return done(202, new CanaryAccepted(app.name(), r.action(), r.percent(), d.running().map(Deployment::id).orElse(null)));
    }

    private DeploymentView rollback(App app, byte[] body) throws Exception {
        Deployer d = deployer(app);
        RollbackRequest request = body.length == 0 ? new RollbackRequest(null)
                : read(body, RollbackRequest.class, "{\"waitForLock\": false} or nothing");
        return DeploymentView.of(d.rollback(!Boolean.FALSE.equals(request.waitForLock())));
    }

    /**
     * Maintenance on or off: recorded in the app's state first (so a restart keeps it), then in
     * effect for the next request. Without an app there is no state: it lasts until a restart.
     */
    private CompletableFuture<Reply> maintenance(App app, byte[] body) throws ApiException {
        refuseDuringTakeover(app);
        SwitchService switches = app.switches();
        Optional<Deployer> deployer = app.deployer();
        MaintenanceRequest r = read(body, MaintenanceRequest.class,
                "{\"on\": true, \"page\": \"<html>...\", \"retryAfterSeconds\": 60} or {\"on\": false}");
        if (r.on() == null) {
            throw new ApiException(400, "say \"on\": true or false");
        }
        long retryAfter = r.retryAfterSeconds() == null ? DEFAULT_RETRY_AFTER_SECONDS : r.retryAfterSeconds();
        if (retryAfter < 0 || retryAfter > io.cutover.proxy.Pause.MAX_TIMEOUT.toSeconds()) {
            throw new ApiException(400, "retryAfterSeconds must be between 0 and "
                    + io.cutover.proxy.Pause.MAX_TIMEOUT.toSeconds());
        }
        AppState.Maintenance m = r.on() ? new AppState.Maintenance(r.page(), retryAfter) : null;
        CompletableFuture<Void> saved = deployer.map(d -> d.recordMaintenance(m))
                .orElse(CompletableFuture.completedFuture(null));
        return saved.thenApply(v -> {
            if (m != null) {
                switches.gate().maintenanceOn(m.page(), m.retryAfterSeconds());
            } else {
                switches.gate().maintenanceOff();
            }
            return new Reply(200, new MaintenanceView(m != null, m == null ? null : retryAfter, deployer.isPresent()));
        });
    }

    /** Pauses traffic: recorded in the app's state first (so a restart keeps it), then in effect. */
    private CompletableFuture<Reply> pause(App app, byte[] body) throws ApiException {
        refuseDuringTakeover(app);
        SwitchService switches = app.switches();
        Optional<Deployer> deployer = app.deployer();
        PauseRequest r = body.length == 0 ? new PauseRequest(null, null)
                : read(body, PauseRequest.class, "{\"timeoutSeconds\": 30, \"maxHeld\": 1000} (both optional)");
        long timeout = r.timeoutSeconds() == null ? DEFAULT_PAUSE_TIMEOUT_SECONDS : r.timeoutSeconds();
        int maxHeld = r.maxHeld() == null ? DEFAULT_MAX_HELD : r.maxHeld();
        if (timeout <= 0 || timeout > io.cutover.proxy.Pause.MAX_TIMEOUT.toSeconds() || maxHeld < 0) {
            throw new ApiException(400, "timeoutSeconds must be between 1 and "
                    + io.cutover.proxy.Pause.MAX_TIMEOUT.toSeconds() + ", maxHeld not negative");
        }
        AppState.Paused p = new AppState.Paused(java.time.Duration.ofSeconds(timeout).toMillis(), maxHeld);
        return deployer.map(d -> d.recordPaused(p)).orElse(CompletableFuture.completedFuture(null)).thenApply(v -> {
            switches.gate().pause(java.time.Duration.ofSeconds(timeout), maxHeld);
            return new Reply(200, pauseView(app));
        });
    }

    private CompletableFuture<Reply> resume(App app) throws ApiException {
        refuseDuringTakeover(app);
        SwitchService switches = app.switches();
        return app.deployer().map(d -> d.recordPaused(null)).orElse(CompletableFuture.completedFuture(null)).thenApply(v -> {
            boolean was = switches.gate().paused() != null;
            switches.gate().resume();
            return new Reply(200, new ResumeView(was));
        });
    }

    private static PauseView pauseView(App app) {
        io.cutover.proxy.Pause p = app.switches().gate().paused();
        return p == null ? null
                : new PauseView(p.held(), p.timeout().toSeconds(), p.maxHeld(), app.deployer().isPresent());
    }

    private DeploymentView deployment(String id) throws ApiException {
        for (App app : apps.all()) {
            Optional<Deployment> d = app.deployer().flatMap(x -> x.find(id));
            if (d.isPresent()) {
                return DeploymentView.of(d.get());
            }
        }
        throw new ApiException(404, "no deploy with id " + id);
    }

    private <T> T read(byte[] body, Class<T> type, String shape) throws ApiException {
        try {
            T value = json.readValue(body, type);
            if (value == null) {
                throw new ApiException(400, "body must be JSON like " + shape);
            }
            return value;
        } catch (java.io.IOException e) {
            throw new ApiException(400, "body must be JSON like " + shape);
        }
    }

    private CompletableFuture<Reply> switchTo(App app, byte[] body) throws ApiException {
        Target target = parseTarget(body);
        return app.switches().switchTo(target)
                .thenApply(o -> new Reply(200, new SwitchResponse(ApiModel.text(o.previous()), o.active().toString(),
                        o.changed(), o.healthWait().toMillis())))
                .exceptionally(this::reply);
    }

    private Target parseTarget(byte[] body) throws ApiException {
        SwitchRequest request;
        try {
            request = json.readValue(body, SwitchRequest.class);
        } catch (Exception e) {
            throw new ApiException(400, "body must be JSON like {\"target\": \"HOST:PORT\"}");
        }
        if (request == null || request.target() == null) {
            throw new ApiException(400, "body must name a target: {\"target\": \"HOST:PORT\"}");
        }
        try {
            return Target.parse(request.target());
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "bad target: " + e.getMessage());
        }
    }

    private Status status(App app) {
        SwitchService switches = app.switches();
        List<BackendView> backends = new ArrayList<>();
        Backend active = switches.active();
        if (active != null) {
            backends.add(BackendView.of(active, "active"));
        }
        io.cutover.proxy.Canary canary = switches.canary();
        if (canary != null) {
            backends.add(BackendView.of(canary.backend(), "canary"));
        }
        for (Backend b : switches.draining()) {
            backends.add(BackendView.of(b, "draining"));
        }
        return new Status(app.name(), active == null ? null : active.target().toString(),
                ApiModel.text(switches.previous()), switches.previousWarm(), switches.gate().inMaintenance(), pauseView(app),
                backends, SwitchView.of(switches.lastSwitch()),
                app.deployer().flatMap(Deployer::canary).map(CanaryView::of).orElse(null),
                app.deployer().map(this::app).orElse(null));
    }

    private AppView app(Deployer d) {
        AppState s = d.state();
        return new AppView(d.app().name(), d.runtimeKind(), InstanceView.of(s.active(), d.describeRunning(s.active())),
                InstanceView.of(s.previous(), d.describeRunning(s.previous())),
                s.previousStopsAt() == null ? null : s.previousStopsAt().toString(),
                d.running().map(Deployment::id).orElse(null), d.restoreProblem());
    }

    /**
     * Maintenance and pause are part of the app's state, which a takeover hands to a new process
     * that has read it already: a change now would be lost.
     */
    private static void refuseDuringTakeover(App app) throws ApiException {
        if (app.switches().heldByTakeover()) {
            throw new ApiException(409, "a takeover of cutover is under way; try again in a moment");
        }
    }

    /** Every error the API can answer, mapped to its status. */
    Reply reply(Throwable failure) {
        Throwable e = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        int status;
        if (e instanceof ApiException api) {
            status = api.status();
        } else if (e instanceof SwitchInProgressException || e instanceof DeployQueue.BusyException
                || e instanceof Steering.NoCanaryException) {
            status = 409;
        } else if (e instanceof Apps.UnknownAppException) {
            status = 404;
        } else if (e instanceof Reload.RefusedException r) {
            status = r.conflict() ? 409 : 400;
        } else if (e instanceof ProcessControl.UpgradeFailure u) {
            status = u.conflict() ? 409 : 503;
        } else if (e instanceof UnhealthyException) {
            status = 503;
        } else if (e instanceof JsonProcessingException) {
            status = 400;
        } else {
            log.error("admin request failed", e);
            return new Reply(500, new ErrorResponse(500, "internal error; see the cutover log"));
        }
        return new Reply(status, new ErrorResponse(status, e.getMessage()));
    }
}
