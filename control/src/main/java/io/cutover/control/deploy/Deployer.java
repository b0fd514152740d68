package io.cutover.control.deploy;

import io.cutover.control.canary.BakeAnalysis;
import io.cutover.control.canary.CanaryRelease;
import io.cutover.control.canary.Steering;
import io.cutover.control.config.AppSettings;
import io.cutover.control.canary.CanaryAnalysis;
import io.cutover.control.config.CanarySettings;
import io.cutover.control.config.ShadowSettings;
import io.cutover.control.config.WarmUpSettings;
import io.cutover.control.config.HookSettings;
import io.cutover.control.deploy.runtime.AppRuntime;
import io.cutover.control.deploy.runtime.Colour;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.runtime.Release;
import io.cutover.control.deploy.state.AppState;
import io.cutover.control.deploy.state.RunStates;
import io.cutover.control.deploy.state.StateKeeper;
import io.cutover.control.deploy.state.StateStore;
import io.cutover.control.health.HealthCheck;
import io.cutover.control.hook.HookRunner;
import io.cutover.control.notify.Event;
import io.cutover.control.notify.Events;
import io.cutover.control.switching.RoutingLock;
import io.cutover.control.switching.SwitchService;
import io.cutover.proxy.RequestStats;
import io.cutover.proxy.Target;
import io.cutover.proxy.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;

/**
 * Deploys and rollbacks of the app. A deploy, top-down: pick the free colour, start the
 * candidate there, wait until it is healthy, record it as the active version, flip traffic to
 * it, drain the old version, stop it. A rollback is the same with the previous version as the
 * candidate. Deployments run one at a time ({@link DeployQueue}) and own routing while they run
 * (manual switches are refused meanwhile); callers get a {@link Deployment} at once and follow
 * its steps. Once traffic has moved, the deploy has succeeded: what fails after that is a
 * warning, not a failure that would make a CD job roll a good release back. The exception is a
 * bake ({@link Bake}): after the flip the old version keeps running while the new one is judged
 * against it, and a new version found worse is flipped back from at once and fails the deploy.
 */
public final class Deployer implements AutoCloseable {
    private static final Duration RUN_STATE_INTERVAL = Duration.ofSeconds(2);
    /** A bake's windows are the canary's interval, but at most this long: a worse version goes back soon. */
    static final Duration MAX_BAKE_WINDOW = Duration.ofSeconds(10);

    /** What the deployer works with. */
    public record Parts(AppRuntime runtime, SwitchService switches, HealthCheck health, StateStore store,
                        MeterRegistry meters, Events events, WarmUps warmUps) {
    }

    private final AppSettings app;
    private final CanarySettings canaryDefaults;
    private final ShadowSettings shadowDefaults;
    private final AppRuntime runtime;
    private final SwitchService switches;
    private final MeterRegistry meters;
    /** Where what happens to the app's deploys is told (webhooks, the audit trail); never blocks. */
    private final Events events;
    private final Clock clock;
    private final Ticker ticker;
    private final RunStates runStates;
    private final DeployQueue line;
    private final StateKeeper states;
    private final Reaper reaper;
    private final DeploySteps steps;
    private final CanaryDeploy canaries;
    private final SwitchRouting routing;
    private final ShadowStep shadows;
    private volatile Bake baking;
    /** Writes the state for what is not a deploy (maintenance): the file may block, the loops may not. */
    private final ExecutorService stateWriter;
    /** Reads the output of the app's hooks. */
    private final ExecutorService hookOutput;
    private volatile String restoreProblem;
    /** The live versions' replicas, checked (active health) on the watcher's thread. */
    private final ReplicaWatch replicaWatch;
    private final java.util.concurrent.ScheduledExecutorService watcher;

    /** @param threads the app's deploy threads; this deployer shuts them down when it closes */
    public Deployer(AppSettings app, CanarySettings canaryDefaults, ShadowSettings shadowDefaults, Parts parts,
                    DeployThreads threads, Clock clock, Ticker ticker) {
        this.app = app;
        this.canaryDefaults = canaryDefaults;
        this.shadowDefaults = shadowDefaults;
        this.runtime = parts.runtime();
        this.switches = parts.switches();
        this.states = new StateKeeper(parts.store());
        this.meters = parts.meters();
        this.events = parts.events();
        this.clock = clock;
        this.ticker = ticker;
        this.line = new DeployQueue(threads.deploys(), threads.deployTimer());
        this.runStates = new RunStates(runtime, threads.watcher());
        this.watcher = threads.watcher();
        this.stateWriter = threads.stateWriter();
        this.hookOutput = threads.hookOutput();
        this.routing = new SwitchRouting(switches);
        Counter warnings = Counter.builder("cutover.deploy.warnings")
                .description("Steps after a deploy's flip that failed (the deploy itself succeeded)")
                .tag("app", app.name()).register(meters);
        this.steps = new DeploySteps(app, new DeploySteps.Parts(runtime, routing, parts.health()::await, states, runStates,
                        parts.warmUps()),
                s -> reaper().watch(s), warnings, clock, ticker,
                DeployHooks.of(app, new HookRunner(hookOutput, app.stateFile().getParent()), warnings));
        this.reaper = new Reaper(line, clock, states::current, i -> switches.routesTo(i.target()), steps::stopPrevious,
                () -> record(states.current().withPreviousStopsAt(null)));
        this.canaries = new CanaryDeploy(app, steps, routing, new Steering(), outcome -> Counter.builder("cutover.canaries")
                .description("Canary releases by outcome: promoted, or aborted (by analysis or by hand)")
                .tags("app", app.name(), "outcome", outcome).register(meters), ticker, events, clock);
        this.shadows = new ShadowStep(routing, new CanaryAnalysis(canaryDefaults), ticker);
        switches.replicas().lookup(this::replicasAt);
        this.replicaWatch = new ReplicaWatch(app.name(), states::current, runStates, switches, parts.health(), meters);
    }

    /** The replicas of the version recorded at {@code target} (its first replica's): every backend for it spans them. */
    private List<Target> replicasAt(Target target) {
        AppState s = states.current();
        for (Instance i : Instance.present(s.candidate(), s.active(), s.previous())) {
            if (i.target().equals(target)) {
                return i.targets();
            }
        }
        return List.of(target);
    }

    /** The reaper, for the steps built before it (it stops through them). */
    private Reaper reaper() {
        return reaper;
    }

    /**
     * After a start or restart of cutover: routes traffic to the active version, removes
     * leftovers of an interrupted deploy and makes sure the active version runs. If the runtime
     * cannot be reached (Docker not up yet at boot), cutover still starts, routing to the last
     * known version, and status says what failed.
     */
    public void restore() {
        restoreProblem = new Restore(states, runtime, runStates, switches).run();
        reaper.watch(states.current());
        runStates.watch(states::current, RUN_STATE_INTERVAL);
        replicaWatch.start(watcher);
    }

    /**
     * After a reload changed the app's settings: takes the app over as it runs, from its state
     * file. Unlike {@link #restore}, it touches neither routing (what the app serves, its
     * maintenance and pause stay as they are) nor the app's versions.
     *
     * @param restoreProblem what the start-up restore found, still shown by status
     * @throws io.cutover.control.boot.StartupFailure if the state file cannot be read
     */
    public void adopt(String restoreProblem) {
        states.load();
        this.restoreProblem = restoreProblem;
        reaper.watch(states.current());
        runStates.watch(states::current, RUN_STATE_INTERVAL);
        replicaWatch.start(watcher);
    }

    /** A deploy as configured: a canary if the app's canary steps say so, otherwise all at once; warmed up, shadowed and baked as configured. */
    public Deployment deploy(Release release, boolean waitForLock) throws DeployQueue.BusyException {
        return deploy(release, waitForLock, canaryDefaults);
    }

    /** A deploy with its own canary plan (no steps: all at once), and the app's warm-up, shadow and bake. */
    public Deployment deploy(Release release, boolean waitForLock, CanarySettings plan) throws DeployQueue.BusyException {
        return deploy(release, waitForLock, new Options(plan, app.warmUp(), shadowDefaults, app.bake()));
    }

    /**
     * What one deploy does besides starting and switching: its canary plan, its warm-up, its
     * shadow, its bake, and how many replicas it starts (0: as many as the app's {@code replicas}).
     */
    public record Options(CanarySettings canary, WarmUpSettings warmUp, ShadowSettings shadow, Duration bake,
                          int replicas) {
        /** With the app's number of replicas. */
        public Options(CanarySettings canary, WarmUpSettings warmUp, ShadowSettings shadow, Duration bake) {
            this(canary, warmUp, shadow, bake, 0);
        }
    }

    /** A deploy with its own options. */
    public Deployment deploy(Release release, boolean waitForLock, Options options) throws DeployQueue.BusyException {
        return submit(Deployment.Kind.DEPLOY, release, waitForLock, d -> deploy(d, options));
    }

    /**
     * A rollback. During a bake it ends the bake (the deploy fails, saying so) and waits for it,
     * whether or not it was to wait for the lock: the previous version is still running.
     */
    public Deployment rollback(boolean waitForLock) throws DeployQueue.BusyException {
        Bake b = baking;
        Deployment r = submit(Deployment.Kind.ROLLBACK, null, waitForLock || b != null, this::rollback);
        if (b != null) {
            b.endByHand("rollback " + r.id() + " was asked for");
        }
        return r;
    }

    /**
     * A deploy, top-down: make room, start the candidate, bring it in (warmed up and shadowed
     * first if asked, then at once or as a canary), bake it if asked, drop the older version.
     */
    private void deploy(Deployment d, Options options) throws Exception {
        Instance old = states.current().active();
        Instance older = states.current().previous();
        steps.hooks().require(d, HookSettings.Hook.PRE_DEPLOY, null, old);     // before anything is touched
        Supplier<RequestStats.Snapshot> oldFigures = routing.activeFigures();
        RequestStats.Snapshot oldAtStart = oldFigures.get();
        steps.makeRoom(d, old, older);
        Instance candidate = steps.startCandidate(d, old == null ? Colour.BLUE : old.colour().other(),
                options.replicas() > 0 ? options.replicas() : app.replicas());
        DeploySteps.BeforeSwitch before = () -> {
            steps.warmUp(d, candidate, options.warmUp());
            if (old != null) {      // a shadow needs a live version to copy from and compare with
                shadows.run(d, candidate, options.shadow());
            }
        };
        DeploySteps.AfterDrain after = bakeAfterDrain(d, options, candidate, old, older, oldFigures, oldAtStart);
        if (options.canary().steps().isEmpty() || old == null) {
            steps.bringIn(d, candidate, old, () -> steps.discard(d, candidate), before, after);
        } else {
            canaries.bringIn(d, options.canary(), candidate, old, before, after);
        }
        steps.afterFlip(d, "removing the version before " + (old == null ? "it" : old.release().describe()),
                () -> steps.removeOlder(d, older));
        steps.hooks().after(d, HookSettings.Hook.POST_DEPLOY, candidate, old);
    }

    /** What runs after the flip's drain: the bake, if asked for and there is a version to go back to. */
    private DeploySteps.AfterDrain bakeAfterDrain(Deployment d, Options options, Instance candidate, Instance old,
                                                  Instance older, Supplier<RequestStats.Snapshot> oldFigures,
                                                  RequestStats.Snapshot oldAtStart) {
        Duration bake = options.bake();
        if (bake.isZero()) {
            return DeploySteps.NOTHING;
        }
        if (old == null) {
            d.step("no bake", "there is no previous version to compare with or to go back to", Duration.ZERO);
            return DeploySteps.NOTHING;
        }
        CanarySettings plan = options.canary();
        return (x, sinceFlip) -> {
            try {
                bake(x, plan, bake, candidate, old, baseline(plan, oldFigures, oldAtStart), sinceFlip);
            } catch (Exception e) {
                steps.afterFlip(x, "removing the version before " + old.release().describe(),
                        () -> steps.removeOlder(x, older));
                throw e;
            }
        };
    }

    /** The previous version's figures a bake is judged against, and what they are. */
    private record Baseline(RequestStats.Snapshot figures, String what) {
    }

    /**
     * The old version's requests from this deploy's start to the flip (those it finished while it
     * drained too); if fewer than min-requests, all of its requests since it took traffic.
     */
    private static Baseline baseline(CanarySettings plan, Supplier<RequestStats.Snapshot> old,
                                     RequestStats.Snapshot atStart) {
        RequestStats.Snapshot all = old.get();
        RequestStats.Snapshot sinceStart = all.minus(atStart);
        if (sinceStart.requests() >= plan.minRequests()) {
            return new Baseline(sinceStart, "its " + sinceStart.requests() + " requests from the deploy's start to the flip");
        }
        return new Baseline(all, "its " + all.requests() + " requests since it took traffic (" + sinceStart.requests()
                + " from the deploy's start to the flip, fewer than " + plan.minRequests() + ")");
    }

    /**
     * Bakes {@code incoming} ({@code previous} running meanwhile): passed, the deploy goes on (the
     * previous version is then retired as after any flip); worse, traffic flips back to
     * {@code previous} and the deploy fails; ended by a rollback, the deploy fails and the rollback
     * (queued) flips back.
     */
    private void bake(Deployment d, CanarySettings plan, Duration length, Instance incoming, Instance previous,
                      Baseline baseline, Supplier<RequestStats.Snapshot> sinceFlip) throws Exception {
        Duration window = plan.interval().compareTo(MAX_BAKE_WINDOW) < 0 ? plan.interval() : MAX_BAKE_WINDOW;
        Bake b = new Bake(length, window, new BakeAnalysis(plan), ticker, incoming.target(), previous.target());
        d.step("baking", incoming.release().describe() + " for " + seconds(length) + ", judged every "
                + seconds(window) + " against " + previous.release().describe() + ": " + baseline.what()
                + "; " + previous.release().describe() + " kept running to go back to", Duration.ZERO);
        Bake.Outcome o;
        baking = b;
        try {
            o = b.run(d, baseline.figures(), sinceFlip);
        } finally {
            baking = null;
        }
        switch (o.end()) {
            case PASSED -> {
                d.step("bake passed", "after " + o.seconds() + ": " + o.why(), Duration.ZERO);
                publish(Event.Kind.BAKE_PASSED, d, d.describe() + " passed its bake of " + seconds(length));
            }
            case BY_HAND -> throw new DeployException("bake ended after " + o.seconds() + ": " + o.why());
            case WORSE -> {
                try {
                    steps.flipBack(d, incoming, previous, "the bake found " + incoming.release().describe()
                            + " worse after " + o.seconds());
                } catch (HealthCheck.UnhealthyException e) {
                    throw new DeployException("the bake found " + incoming.release().describe() + " worse after "
                            + o.seconds() + " (" + o.why() + "), but the previous version is not healthy, so "
                            + "traffic stays on the new version: " + e.getMessage());
                }
                String error = "rolled back after " + o.seconds() + ": " + o.why();
                publish(Event.Kind.BAKE_ROLLED_BACK, d, d.describe() + " " + error);
                throw new DeployException(error);
            }
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /**
     * A rollback, top-down: the previous version running again, then brought in like a candidate
     * (not warmed up: a rollback is to be quick).
     */
    private void rollback(Deployment d) throws Exception {
        Instance current = states.current().active();
        Instance previous = states.current().previous();
        if (previous == null) {
            throw new DeployException("there is no previous version to roll back to");
        }
        Instance back = steps.wake(d, previous);
        steps.bringIn(d, back, current, () -> steps.stop(back));
        steps.hooks().after(d, HookSettings.Hook.POST_DEPLOY, back, current);
    }

    /** The bake running now, if any. */
    public Optional<Bake> bake() {
        return Optional.ofNullable(baking);
    }

    /** The canary running now, if any. */
    public Optional<CanaryRelease> canary() {
        return canaries.running();
    }

    /** Steers the running canary (promote, abort, set a share). */
    public void steer(Steering.Command command) throws Steering.NoCanaryException {
        canaries.steer(command);
    }

    /** The app's shadow settings as configured. */
    public ShadowSettings shadowDefaults() {
        return shadowDefaults;
    }

    /** The app's canary settings as configured. */
    public CanarySettings canaryDefaults() {
        return canaryDefaults;
    }


    private Deployment submit(Deployment.Kind kind, Release release, boolean waitForLock, DeployQueue.Flow flow)
            throws DeployQueue.BusyException {
        Deployment d = new Deployment(line.newId(), kind, release, clock.instant(), ticker);
        line.submit(d, waitForLock ? app.lockWait() : null, x -> {
            switches.lock().reserve(RoutingLock.Holder.DEPLOY, x.describe());     // routing is the deploy's until it ends
            publish(Event.Kind.DEPLOY_STARTED, x, x.describe() + " started");
            Exception failure = null;
            try {
                flow.run(x);
            } catch (Exception e) {
                failure = e;
            } finally {
                switches.lock().release();
            }
            if (failure instanceof InterruptedException) {
                throw failure;      // cutover is stopping: no hook now
            }
            if (failure != null) {
                // routing is free again: the hook may switch or roll back through the admin API
                steps.hooks().onFailure(x, states.current().active(), reason(failure));
                throw failure;
            }
        }, error -> {
            boolean succeeded = error == null;
            Counter.builder("cutover.deploys").description("Deploys and rollbacks by outcome")
                    .tags("app", app.name(), "kind", kind.name().toLowerCase(Locale.ROOT),
                            "outcome", succeeded ? "succeeded" : "failed")
                    .register(meters).increment();
            publish(succeeded ? Event.Kind.DEPLOY_SUCCEEDED : Event.Kind.DEPLOY_FAILED, d,
                    d.describe() + (succeeded ? " succeeded" : " failed: " + firstLine(error)), error);
        });
        return d;
    }

    /** Tells {@link #events} what happened to deployment {@code d} (with its release and kind as details). */
    private void publish(Event.Kind kind, Deployment d, String text) {
        publish(kind, d, text, d.error());
    }

    /** As {@link #publish(Event.Kind, Deployment, String)}, with the error it failed with (before it shows). */
    private void publish(Event.Kind kind, Deployment d, String text, String error) {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("kind", d.kind().name().toLowerCase(Locale.ROOT));
        if (d.release() != null) {
            details.put("release", d.release().describe());
        }
        if (error != null) {
            details.put("error", firstLine(error));
        }
        events.publish(new Event(kind, app.name(), d.id(), "cutover: " + app.name() + ": " + text, details,
                clock.instant()));
    }

    /**
     * A failure's first line: what is told outside (webhooks, the audit trail) leaves out what
     * follows it, such as a failed version's last log lines (apps log secrets); the deploy's own
     * steps keep them.
     */
    static String firstLine(String error) {
        if (error == null) {
            return null;
        }
        int end = error.indexOf('\n');
        return end < 0 ? error : error.substring(0, end).stripTrailing();
    }

    /** Records maintenance on ({@code m}) or off (null) in the app's state, off the caller's thread. */
    public CompletableFuture<Void> recordMaintenance(AppState.Maintenance m) {
        return CompletableFuture.runAsync(() -> states.recordMaintenance(m), stateWriter);
    }

    /** Records a pause on ({@code p}) or off (null) in the app's state, off the caller's thread. */
    public CompletableFuture<Void> recordPaused(AppState.Paused p) {
        return CompletableFuture.runAsync(() -> states.recordPaused(p), stateWriter);
    }

    public Optional<Deployment> find(String id) {
        return line.find(id);
    }

    /**
     * Stops taking deploys, if none runs or waits (a reload is about to replace or remove the app).
     *
     * @return false when one runs or waits: nothing changed
     */
    public boolean suspendIfIdle(String why) {
        return line.suspendIfIdle(why);
    }

    /** Takes deploys again (the reload that suspended them was refused). */
    public void unsuspend() {
        line.unsuspend();
    }

    /** The deploy running now, if any. */
    public Optional<Deployment> running() {
        return line.running();
    }

    public AppState state() {
        return states.current();
    }

    public AppSettings app() {
        return app;
    }

    public String runtimeKind() {
        return runtime.kind();
    }

    /** What went wrong restoring the app at start-up, or null. */
    public String restoreProblem() {
        return restoreProblem;
    }

    /** "running", or why not, as last seen (for status: it never waits on the runtime). */
    public String describeRunning(Instance i) {
        return runStates.describe(i);
    }

    /** Replica {@code k} of {@code i}: "running", or why not, as last seen. */
    public String describeRunning(Instance i, int k) {
        return runStates.describe(i, k);
    }

    private void record(AppState next) {
        states.record(next);
    }

    static String reason(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    @Override
    public void close() {
        line.close();
        stateWriter.shutdown();
        hookOutput.shutdownNow();
        runStates.close();
        replicaWatch.close();
    }
}
