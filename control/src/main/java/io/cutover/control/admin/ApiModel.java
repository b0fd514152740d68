package io.cutover.control.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.cutover.control.canary.Steering;
import io.cutover.control.config.AppSettings;
import io.cutover.control.config.CanarySettings;
import io.cutover.control.config.ComposeSettings;
import io.cutover.control.config.ShadowSettings;
import io.cutover.control.config.WarmUpSettings;
import io.cutover.control.deploy.Deployment;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.runtime.Release;
import io.cutover.control.deploy.state.AppState;
import io.cutover.control.switching.SwitchRecord;
import io.cutover.proxy.Backend;
import io.cutover.proxy.DrainResult;
import io.cutover.proxy.Pause;
import io.cutover.proxy.Target;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The JSON shapes of the admin API (requests and answers). */
public final class ApiModel {
    private ApiModel() {
    }

    /** {@code POST /v1/switch} body. */
    public record SwitchRequest(String target) {
        /** The target named, checked. */
        Target parsed() throws ApiException {
            if (target == null) {
                throw new ApiException(400, "body must name a target: {\"target\": \"HOST:PORT\"}");
            }
            try {
                return Target.parse(target);
            } catch (IllegalArgumentException e) {
                throw new ApiException(400, "bad target: " + e.getMessage());
            }
        }
    }

    /** {@code POST /v1/switch} answer, sent right after the flip. */
    public record SwitchResponse(String previous, String active, boolean changed, long healthWaitMs) {
    }

    /** {@code GET /v1/status} answer for one app ({@code ?app=NAME}, or the only one). */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Status(String name, String active, String previous, boolean previousWarm, boolean maintenance,
                         PauseView paused, List<BackendView> backends, SwitchView lastSwitch, CanaryView canary,
                         AppView app, BakeView bake) {
    }

    /**
     * A bake running now: the new version's target, the previous version's (running, to go back
     * to), how long it lasts and how long it has run, and its windows so far.
     */
    public record BakeView(String target, String previous, long lengthMs, long elapsedMs, List<BakeWindowView> windows) {
        static BakeView of(io.cutover.control.deploy.Bake b) {
            return new BakeView(text(b.target()), text(b.previous()), b.length().toMillis(), b.elapsed().toMillis(),
                    b.windows().stream().map(BakeWindowView::of).toList());
        }
    }

    /** One window of a bake: when it ended (ms after the flip), its verdict and why, and both sides' figures. */
    public record BakeWindowView(long elapsedMs, String verdict, String why, FiguresView now, FiguresView before) {
        static BakeWindowView of(io.cutover.control.canary.BakeWindow w) {
            return new BakeWindowView(w.elapsedMs(), w.verdict().name().toLowerCase(Locale.ROOT), w.why(),
                    FiguresView.of(w.now()), FiguresView.of(w.before()));
        }
    }

    /** {@code GET /v1/status} answer when cutover serves several apps and none is named. */
    public record StatusAll(List<Status> apps) {
    }

    /**
     * A canary running now: its target, share, plan, whether it is held at the progress deadline
     * (waiting for {@code cutover canary promote|abort}), and the figures of each window so far.
     */
    public record CanaryView(String target, int share, List<Integer> steps, long intervalMs, boolean held,
                             List<WindowView> windows) {
        static CanaryView of(io.cutover.control.canary.CanaryRelease c) {
            return new CanaryView(text(c.target()), c.share(), c.plan().steps(), c.plan().interval().toMillis(),
                    c.held(), c.windows().stream().map(WindowView::of).toList());
        }
    }

    /** One window: its share, verdict and why, and both versions' figures. */
    public record WindowView(int share, String verdict, String why, FiguresView canary, FiguresView stable) {
        static WindowView of(io.cutover.control.canary.Window w) {
            return new WindowView(w.share(), w.verdict().name().toLowerCase(Locale.ROOT), w.why(),
                    FiguresView.of(w.canary()), FiguresView.of(w.stable()));
        }
    }

    /** A version's figures over a window. */
    public record FiguresView(long requests, long errors, double errorRate, double p99Ms) {
        static FiguresView of(io.cutover.control.canary.Window.Figures f) {
            return new FiguresView(f.requests(), f.errors(), f.errorRate(), f.p99Micros() / 1000.0);
        }
    }

    /** {@code POST /v1/canary} body: promote, abort, or set a share. */
    public record CanaryRequest(String action, Integer percent) {
        static final String SHAPE = "{\"action\": \"promote\"|\"abort\"|\"set\", \"percent\": 25}";

        /** The command asked for, checked. */
        Steering.Command command() throws ApiException {
            return switch (action == null ? "" : action) {
                case "promote" -> new Steering.Command(Steering.Command.Kind.PROMOTE, 100);
                case "abort" -> new Steering.Command(Steering.Command.Kind.ABORT, 0);
                case "set" -> {
                    if (percent == null || percent < 0 || percent > 100) {
                        throw new ApiException(400, "set needs a percent from 0 to 100");
                    }
                    yield new Steering.Command(Steering.Command.Kind.SET, percent);
                }
                default -> throw new ApiException(400, "action must be promote, abort or set");
            };
        }
    }

    /** {@code POST /v1/canary} answer: the command was passed to the running canary. */
    public record CanaryAccepted(String app, String action, Integer percent, String deployId) {
    }

    /** A backend taking traffic ({@code active}) or finishing it ({@code draining}). */
    public record BackendView(String target, String state, int inFlight, int connections, String version,
                              List<ReplicaView> replicas) {
        static BackendView of(Backend b, String state) {
            return new BackendView(b.target().toString(), state, b.inFlight(), b.openConnections(), b.version(),
                    b.replicas().stream().map(ReplicaView::of).toList());
        }
    }

    /**
     * One replica of a backend: whether it takes requests ({@code up}), and if not why
     * ({@code down}: its process exited, it failed its health check, a connection to it failed),
     * its requests in flight, requests so far and open connections.
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record ReplicaView(String target, boolean up, String down, int inFlight, long requests, int connections) {
        static ReplicaView of(io.cutover.proxy.Replica r) {
            return new ReplicaView(r.target().toString(), r.up(), r.downReason(), r.inFlight(), r.requests(),
                    r.openConnections());
        }
    }

    /** A switch and, once done, its drain. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record SwitchView(String from, String to, String at, long healthWaitMs, DrainView drain) {
        static SwitchView of(SwitchRecord r) {
            return r == null ? null : new SwitchView(text(r.from()), text(r.to()), r.at().toString(),
                    r.healthWait().toMillis(), DrainView.of(r.drain()));
        }
    }

    /** How a drain went: requests in flight at the switch, finished, cut at the deadline. */
    public record DrainView(int inFlight, int completed, int forced, long tookMs) {
        static DrainView of(DrainResult d) {
            return d == null ? null : new DrainView(d.inFlight(), d.completed(), d.forced(), d.took().toMillis());
        }
    }

    /** {@code POST /v1/deploy} body: an image (docker) or a command (process), extra env, and whether to queue. */
    public record DeployRequest(String image, List<String> command, Map<String, String> env, Boolean waitForLock,
                                List<Integer> canary, Long canaryIntervalMs, String release, Long bakeMs, String shadow,
                                Long shadowDurationMs, Boolean shadowFailOnErrors, String warmUp,
                                String canaryOnDeadline, String compose, String service, String project,
                                Integer replicas) {
        private static final java.util.regex.Pattern COMPOSE_NAME =
                java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
        static final String SHAPE = "{\"image\": \"IMAGE\"} or {\"command\": [\"WORD\", ...]}, with optional \"env\", "
                + "\"waitForLock\", \"canary\": [10, 50, 100], \"canaryIntervalMs\", \"bakeMs\" (0: no bake), "
                + "\"shadow\": \"10%\", \"shadowDurationMs\", \"shadowFailOnErrors\" \"warmUp\": 2000 or \"20s\", "
                + "\"canaryOnDeadline\": \"hold\"|\"abort\", \"replicas\": 3, and \"compose\": "
                + "\"/ABSOLUTE/docker-compose.yml\", \"service\", \"project\" (then image is a full image or a tag of "
                + "the service's image)";

        public DeployRequest(String image, List<String> command, Map<String, String> env, Boolean waitForLock,
                             List<Integer> canary, Long canaryIntervalMs, String release, Long bakeMs, String shadow,
                             Long shadowDurationMs, Boolean shadowFailOnErrors, String warmUp, String canaryOnDeadline) {
            this(image, command, env, waitForLock, canary, canaryIntervalMs, release, bakeMs, shadow, shadowDurationMs,
                    shadowFailOnErrors, warmUp, canaryOnDeadline, null, null, null, null);
        }

        /**
         * How many replicas to start: this request's, checked against the app's ports, or 0 (the app's).
         */
        int replicas(AppSettings app) throws ApiException {
            if (replicas == null) {
                return 0;
            }
            try {
                app.replicaPorts().check(replicas);
            } catch (IllegalArgumentException e) {
                throw new ApiException(400, "replicas: " + e.getMessage());
            }
            return replicas;
        }

        public DeployRequest(String image, List<String> command, Map<String, String> env, Boolean waitForLock,
                             List<Integer> canary, Long canaryIntervalMs, String release) {
            this(image, command, env, waitForLock, canary, canaryIntervalMs, release, null, null, null, null, null, null,
                    null, null, null, null);
        }

        /** How long to bake: this request's, or the app's ({@code defaults}); zero: no bake. */
        Duration bake(Duration defaults) throws ApiException {
            if (bakeMs == null) {
                return defaults;
            }
            if (bakeMs < 0) {
                throw new ApiException(400, "bakeMs must be 0 (no bake) or more");
            }
            return Duration.ofMillis(bakeMs);
        }

        /** The shadow: the app's, with what this request changes, checked. */
        ShadowSettings shadow(ShadowSettings defaults) throws ApiException {
            Integer percent = null;
            if (shadow != null) {
                try {
                    percent = ShadowSettings.parseShare(shadow);
                } catch (IllegalArgumentException e) {
                    throw new ApiException(400, "shadow: " + e.getMessage());
                }
            }
            if (shadowDurationMs != null && shadowDurationMs <= 0) {
                throw new ApiException(400, "shadowDurationMs must be more than 0");
            }
            return defaults.with(percent, shadowDurationMs == null ? null : Duration.ofMillis(shadowDurationMs),
                    shadowFailOnErrors);
        }

        /**
         * The release asked for, checked against the app's runtime.
         *
         * @param docker whether the app runs containers (else a command)
         */
        Release toRelease(boolean docker, String app) throws ApiException {
            return toRelease(docker, app, ComposeSettings.NONE);
        }

        /**
         * @param composeDefaults the app's {@code compose}: the service its deploys run unless this
         *                        request names another file or service
         */
        Release toRelease(boolean docker, String app, ComposeSettings composeDefaults) throws ApiException {
            boolean hasImage = image != null && !image.isBlank();
            boolean hasCommand = command != null && !command.isEmpty();
            if (hasImage && hasCommand) {
                throw new ApiException(400, "name an image or a command, not both");
            }
            if (docker && hasCommand) {
                throw new ApiException(400, "app " + app + " runs containers: deploy an image");
            }
            if (!docker && hasImage) {
                throw new ApiException(400, "app " + app + " runs a command: deploy a command, not an image");
            }
            if (release != null && (release.isBlank() || release.length() > 100
                    || release.chars().anyMatch(c -> c < ' ' || c == 127))) {
                throw new ApiException(400, "release must be a name of 1 to 100 printable characters");
            }
            return new Release(hasImage ? image.trim() : null, command, env, release,
                    compose(docker, app, composeDefaults));
        }

        /** The compose service to run: this request's file and service over the app's; null: none. */
        private Release.Compose compose(boolean docker, String app, ComposeSettings defaults) throws ApiException {
            boolean asked = compose != null || service != null || project != null;
            if (!asked && !defaults.configured()) {
                return null;
            }
            if (!docker) {
                throw new ApiException(400, "app " + app + " runs a command: a compose service runs in containers");
            }
            String file = compose == null ? defaults.file() : compose.trim();
            if (file.isEmpty()) {
                throw new ApiException(400, "service and project need a compose file: add \"compose\" (the CLI's "
                        + "--compose), or set cutover.app.compose.file");
            }
            if (!file.startsWith("/")) {
                throw new ApiException(400, "compose must be an absolute path on cutover's host, got '" + file + "'");
            }
            boolean sameFile = file.equals(defaults.file());
            String name = service != null ? service.trim() : sameFile ? defaults.service() : "";
            if (name.isEmpty()) {
                throw new ApiException(400, "name the service of " + file + " to deploy (--service, or "
                        + "cutover.app.compose.service)");
            }
            String p = project != null ? project.trim() : sameFile ? defaults.project() : "";
            // both go on the compose CLI's command line: a name, never something it could take as a flag
            if (!COMPOSE_NAME.matcher(name).matches()) {
                throw new ApiException(400, "service must be a compose service name (letters, digits, '.', '_', '-', "
                        + "not starting with a '.', '_' or '-'), got '" + name + "'");
            }
            if (!p.isEmpty() && !COMPOSE_NAME.matcher(p).matches()) {
                throw new ApiException(400, "project must be a compose project name (letters, digits, '.', '_', '-', "
                        + "not starting with a '.', '_' or '-'), got '" + p + "'");
            }
            return new Release.Compose(file, name, p.isEmpty() ? null : p);
        }

        /** The canary plan: the app's, with what this request changes, checked. */
        CanarySettings plan(CanarySettings defaults) throws ApiException {
            if (canaryOnDeadline != null) {
                CanarySettings.OnDeadline choice = switch (canaryOnDeadline) {
                    case "hold" -> CanarySettings.OnDeadline.HOLD;
                    case "abort" -> CanarySettings.OnDeadline.ABORT;
                    default -> throw new ApiException(400, "canaryOnDeadline must be hold or abort");
                };
                defaults = defaults.with(choice);
            }
            if (canary == null && canaryIntervalMs == null) {
                return defaults;
            }
            List<Integer> steps = canary != null ? canary : defaults.steps();
            String problem = CanarySettings.problemWith(steps);
            if (problem != null) {
                throw new ApiException(400, "canary: " + problem);
            }
            if (canaryIntervalMs != null && canaryIntervalMs <= 0) {
                throw new ApiException(400, "canaryIntervalMs must be more than 0");
            }
            return defaults.with(steps, canaryIntervalMs == null ? defaults.interval() : Duration.ofMillis(canaryIntervalMs));
        }

        boolean queues() {
            return !Boolean.FALSE.equals(waitForLock);
        }

        /** The warm-up: the app's, or this request's ("off", a count or a duration), checked. */
        WarmUpSettings warmUp(WarmUpSettings defaults) throws ApiException {
            if (warmUp == null) {
                return defaults;
            }
            try {
                return defaults.with(warmUp);
            } catch (IllegalArgumentException e) {
                throw new ApiException(400, "warmUp: " + e.getMessage());
            }
        }
    }

    /** {@code POST /v1/maintenance} body: on with an optional page and Retry-After, or off. */
    public record MaintenanceRequest(Boolean on, String page, Long retryAfterSeconds) {
        static final long DEFAULT_RETRY_AFTER_SECONDS = 60;
        static final String SHAPE = "{\"on\": true, \"page\": \"<html>...\", \"retryAfterSeconds\": 60} or {\"on\": false}";

        /** Maintenance as asked, checked: on with its page and Retry-After, or null for off. */
        AppState.Maintenance maintenance() throws ApiException {
            if (on == null) {
                throw new ApiException(400, "say \"on\": true or false");
            }
            long retryAfter = retryAfterSeconds == null ? DEFAULT_RETRY_AFTER_SECONDS : retryAfterSeconds;
            if (retryAfter < 0 || retryAfter > Pause.MAX_TIMEOUT.toSeconds()) {
                throw new ApiException(400, "retryAfterSeconds must be between 0 and " + Pause.MAX_TIMEOUT.toSeconds());
            }
            return on ? new AppState.Maintenance(page, retryAfter) : null;
        }
    }

    /** What maintenance is now. */
    public record MaintenanceView(boolean on, Long retryAfterSeconds, boolean persisted) {
    }

    /** {@code POST /v1/pause} body (optional): how long a request may be held, and how many at most. */
    public record PauseRequest(Long timeoutSeconds, Integer maxHeld) {
        static final long DEFAULT_TIMEOUT_SECONDS = 30;
        static final int DEFAULT_MAX_HELD = 1000;
        static final String SHAPE = "{\"timeoutSeconds\": 30, \"maxHeld\": 1000} (both optional)";

        /** The pause asked for, checked. */
        AppState.Paused paused() throws ApiException {
            long timeout = timeoutSeconds == null ? DEFAULT_TIMEOUT_SECONDS : timeoutSeconds;
            int held = maxHeld == null ? DEFAULT_MAX_HELD : maxHeld;
            if (timeout <= 0 || timeout > Pause.MAX_TIMEOUT.toSeconds() || held < 0) {
                throw new ApiException(400, "timeoutSeconds must be between 1 and " + Pause.MAX_TIMEOUT.toSeconds()
                        + ", maxHeld not negative");
            }
            return new AppState.Paused(Duration.ofSeconds(timeout).toMillis(), held);
        }
    }

    /** A pause now: requests held, and its settings; {@code persisted} as for maintenance. */
    public record PauseView(int held, long timeoutSeconds, int maxHeld, boolean persisted) {
    }

    /** {@code POST /v1/resume} answer. */
    public record ResumeView(boolean resumed) {
    }

    /** {@code POST /v1/lb} body: take this host out of the load balancer ({@code false}) or put it back. */
    public record LbRequest(Boolean in) {
        static final String SHAPE = "{\"in\": false} (leave the load balancer) or {\"in\": true} (join it again)";
    }

    /**
     * {@code GET /v1/lb} and {@code POST /v1/lb}: whether the load balancer's check answers 200
     * ({@code in}), and why not (taken out, or stopping); the checks answered each way and the
     * proxied requests ended since the start (counters: a rolling deploy watches them move, or stop).
     *
     * @param changedAt when it last left or joined through this API, or null
     */
    public record LbView(String path, boolean in, boolean out, boolean stopping, long graceMs, long checksOk,
                         long checksFailed, long requests, String changedAt) {
    }

    /** {@code POST /v1/rollback} body (optional). */
    public record RollbackRequest(Boolean waitForLock) {
        static final String SHAPE = "{\"waitForLock\": false} or nothing";

        boolean queues() {
            return !Boolean.FALSE.equals(waitForLock);
        }
    }

    /** A deploy or rollback and its timeline. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record DeploymentView(String id, String kind, String state, String release, String accepted,
                                 long elapsedMs, List<Deployment.Step> steps, String error, List<String> warnings) {
        public DeploymentView {
            warnings = warnings == null ? List.of() : warnings;
        }

        static DeploymentView of(Deployment d) {
            return new DeploymentView(d.id(), d.kind().name().toLowerCase(Locale.ROOT),
                    d.state().name().toLowerCase(Locale.ROOT), d.release() == null ? null : d.release().describe(),
                    d.accepted().toString(), d.elapsed().toMillis(), d.steps(), d.error(), d.warnings());
        }
    }

    /** The app's versions, in {@code GET /v1/status}. */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record AppView(String name, String runtime, InstanceView active, InstanceView previous,
                          String previousStopsAt, String deploying, String problem) {
    }

    /** One version of the app. */
    public record InstanceView(String release, String colour, String target, String deployId, String handle,
                               String running, List<InstanceReplicaView> replicas) {
        /** @param running "running", or why not, for the version and then for each replica */
        static InstanceView of(Instance i, String running, List<String> eachRunning) {
            if (i == null) {
                return null;
            }
            List<InstanceReplicaView> replicas = new java.util.ArrayList<>();
            for (int k = 0; k < i.count(); k++) {
                Instance.Replica r = i.replicas().get(k);
                replicas.add(new InstanceReplicaView(r.target().toString(), r.handle(), eachRunning.get(k)));
            }
            return new InstanceView(i.release().describe(), i.colour().label(), i.target().toString(), i.deployId(),
                    i.handle(), running, replicas);
        }
    }

    /** One replica of a version: where, its runtime id, and whether it runs. */
    public record InstanceReplicaView(String target, String handle, String running) {
    }

    /** Every error answer. */
    public record ErrorResponse(int status, String error) {
    }

    static String text(Target t) {
        return t == null ? null : t.toString();
    }
}
