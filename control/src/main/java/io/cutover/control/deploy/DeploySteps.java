package io.cutover.control.deploy;

import io.cutover.control.config.AppSettings;
import io.cutover.control.config.WarmUpSettings;
import io.cutover.control.config.HookSettings;
import io.cutover.control.deploy.runtime.AppRuntime;
import io.cutover.control.deploy.runtime.Colour;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.state.AppState;
import io.cutover.control.deploy.state.RunStates;
import io.cutover.control.deploy.state.StateKeeper;
import io.cutover.control.health.HealthCheck.UnhealthyException;
import io.cutover.control.warmup.WarmUpResult;
import io.cutover.control.warmup.Warming;
import io.cutover.proxy.DrainResult;
import io.cutover.proxy.RequestStats;
import io.cutover.proxy.Ticker;
import io.micrometer.core.instrument.Counter;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The steps a deploy, a rollback and a canary are made of, each recorded in the deployment's
 * timeline: make room, start a version, its health gate and warm-up, the flip, the old version's drain, and
 * retiring (stopping) the old version; each change of versions recorded in the app's state first.
 * Runs on the deploy's thread (it may block on the runtime and the state file).
 */
final class DeploySteps {
    /** How often a warm-up's version is checked to be running while it is warmed up. */
    private static final Duration WARM_UP_WATCH = Duration.ofSeconds(1);

    /** What the steps work with. */
    record Parts(AppRuntime runtime, Routing routing, HealthGate health, StateKeeper states, RunStates runStates,
                 WarmUps warmUps) {
    }

    private final AppSettings app;
    private final AppRuntime runtime;
    private final Routing routing;
    private final HealthGate health;
    private final StateKeeper states;
    private final RunStates runStates;
    private final WarmUps warmUps;
    private final Consumer<AppState> keptRunning;
    private final Counter warnings;
    private final Clock clock;
    private final Ticker ticker;
    private final DeployHooks hooks;

    /**
     * @param keptRunning arranges the stop of a previous version kept running (the reaper)
     * @param warnings    counts steps after a flip that failed
     */
    DeploySteps(AppSettings app, Parts parts, Consumer<AppState> keptRunning, Counter warnings, Clock clock,
                Ticker ticker) {
        this(app, parts, keptRunning, warnings, clock, ticker, DeployHooks.NONE);
    }

    /** @param hooks the app's hooks (pre-switch before a flip, post-switch after it) */
    DeploySteps(AppSettings app, Parts parts, Consumer<AppState> keptRunning, Counter warnings, Clock clock,
                Ticker ticker, DeployHooks hooks) {
        this.hooks = hooks;
        this.app = app;
        this.runtime = parts.runtime();
        this.routing = parts.routing();
        this.health = parts.health();
        this.states = parts.states();
        this.runStates = parts.runStates();
        this.warmUps = parts.warmUps();
        this.keptRunning = keptRunning;
        this.warnings = warnings;
        this.clock = clock;
        this.ticker = ticker;
    }

    /**
     * What runs between a flip's drain and the old version's retirement (a bake). If it throws,
     * the deploy fails and the old version is not retired here: what threw has seen to it.
     */
    @FunctionalInterface
    interface AfterDrain {
        /** @param sinceFlip the incoming version's figures since the flip, as they grow */
        void run(Deployment d, Supplier<RequestStats.Snapshot> sinceFlip) throws Exception;
    }

    /** Nothing between the drain and retiring: the old version retires at once. */
    static final AfterDrain NOTHING = (d, sinceFlip) -> {
    };

    /**
     * The second half of a deploy or rollback: health gate, record, flip, drain, retire the old
     * version. If the incoming version fails its health gate (or what runs before the switch: a
     * warm-up, a shadow) or cannot be recorded, {@code giveUp} undoes its start and traffic never moved.
     */
    void bringIn(Deployment d, Instance incoming, Instance outgoing, Runnable giveUp) throws Exception {
        bringIn(d, incoming, outgoing, giveUp, READY, NOTHING);
    }

    /** What a deploy does between its candidate's health gate and the switch (a warm-up, a shadow); throwing stops it. */
    @FunctionalInterface
    interface BeforeSwitch {
        void run() throws Exception;
    }

    /** Nothing between the health gate and the switch. */
    static final BeforeSwitch READY = () -> {
    };

    /**
     * As {@link #bringIn(Deployment, Instance, Instance, Runnable)}, with {@code before} run once
     * the incoming version is healthy and {@code bake} after the drain.
     */
    void bringIn(Deployment d, Instance incoming, Instance outgoing, Runnable giveUp, BeforeSwitch before,
                 AfterDrain bake)
            throws Exception {
        Duration healthWait;
        try {
            healthWait = gate(d, incoming, outgoing, before);
            // recorded before the flip: a restart after it (or a crash in between) routes to the new version
            record(new AppState(incoming, outgoing, null));
        } catch (Exception e) {
            giveUp.run();
            throw e;
        }
        Routing.Flip flip = flip(d, incoming, healthWait);
        hooks.after(d, HookSettings.Hook.POST_SWITCH, incoming, outgoing);
        retireAfterDrain(d, flip, outgoing, bake);
    }

    /**
     * Before {@code incoming} takes any request: its health gate, what runs before the switch
     * ({@code before}: a warm-up, a shadow), then, for a deploy, the pre-switch hook (a smoke test
     * against it), which refuses the switch if it fails. A rollback is not held up by a smoke test
     * written for new releases: it goes back to a version that served before.
     */
    Duration gate(Deployment d, Instance incoming, Instance outgoing, BeforeSwitch before) throws Exception {
        Duration healthWait = awaitHealthy(d, incoming);
        before.run();
        if (d.kind() == Deployment.Kind.DEPLOY) {
            hooks.require(d, HookSettings.Hook.PRE_SWITCH, incoming, outgoing);
        }
        return healthWait;
    }

    /** Every new request to {@code incoming}, in one flip. */
    private Routing.Flip flip(Deployment d, Instance incoming, Duration healthWait) {
        Routing.Flip flip = routing.flip(incoming.target(), incoming.release().describe(), healthWait);
        d.step("switched", (flip.previous() == null ? "now routing to " : flip.previous() + " -> ")
                + incoming.target(), Duration.ZERO);
        return flip;
    }

    /** The canary {@code incoming} takes every request, in one flip (record it first, as for any flip). */
    Routing.Flip promote(Deployment d, Instance incoming, String why, Duration healthWait) {
        return promote(d, incoming, null, why, healthWait);
    }

    /** As {@link #promote(Deployment, Instance, String, Duration)}, then the post-switch hook (told {@code outgoing}). */
    Routing.Flip promote(Deployment d, Instance incoming, Instance outgoing, String why, Duration healthWait) {
        Routing.Flip flip = routing.promoteCanary(healthWait);
        d.step("promoted", why + "; " + flip.previous() + " -> " + incoming.target(), Duration.ZERO);
        hooks.after(d, HookSettings.Hook.POST_SWITCH, incoming, outgoing);
        return flip;
    }

    /**
     * After a flip: waits for the old version's drain, runs {@code bake}, then retires the old
     * version (a failure there is a warning).
     */
    void retireAfterDrain(Deployment d, Routing.Flip flip, Instance outgoing, AfterDrain bake) throws Exception {
        Supplier<RequestStats.Snapshot> figures = routing.activeFigures();     // the incoming version's
        RequestStats.Snapshot atFlip = figures.get();
        awaitDrained(d, flip);
        bake.run(d, () -> figures.get().minus(atFlip));
        afterFlip(d, "retiring " + (outgoing == null ? "the old version" : outgoing.release().describe()),
                () -> retire(d, outgoing));
    }

    /** Waits for the old version's drain after a flip, and records how it went. */
    private static void awaitDrained(Deployment d, Routing.Flip flip) {
        DrainResult drained = flip.drain().join();
        if (drained != null) {
            d.step("drained", drained.completed() + " requests in " + drained.took().toMillis() + " ms"
                    + (drained.forced() > 0 ? ", " + drained.forced() + " cut at the deadline" : ""), drained.took());
        }
    }

    /**
     * A bake found {@code bad} worse: every request back to the {@code previous} version, kept
     * running meanwhile (one passing probe first, which it passes at once if it is fine), recorded
     * before the flip as the active version again with {@code bad} as the previous one; then
     * {@code bad} drains and is stopped whatever keep-previous says (it failed its bake).
     *
     * @throws UnhealthyException if the previous version is not healthy: traffic stays where it is
     */
    void flipBack(Deployment d, Instance bad, Instance previous, String why) throws Exception {
        Duration healthWait = awaitHealthy(d, previous);
        record(new AppState(previous, bad, null));
        Routing.Flip flip = routing.flip(previous.target(), previous.release().describe(), healthWait);
        d.step("rolled back", why + "; " + bad.target() + " -> " + previous.target(), Duration.ZERO);
        awaitDrained(d, flip);
        afterFlip(d, "stopping " + bad.release().describe(), () -> {
            long t = ticker.nanos();
            stop(bad);
            d.step("new version stopped", bad.release().describe() + " on " + bad.colour().label(), since(t));
        });
    }

    /** Starts the candidate's {@code replicas} replicas on {@code colour}'s ports, recorded as the candidate. */
    Instance startCandidate(Deployment d, Colour colour, int replicas) throws DeployException {
        List<Integer> ports;
        try {
            ports = app.ports(colour.ordinal(), replicas);
        } catch (IllegalArgumentException e) {
            throw new DeployException("cannot start " + replicas + " replicas: " + e.getMessage());
        }
        long t = ticker.nanos();
        Instance c = runtime.start(d.release(), colour, ports, d.id());
        record(states.current().withCandidate(c));
        d.step("candidate started", c.release().describe() + " on " + colour.label() + " at " + where(c), since(t));
        return c;
    }

    /** Where a version listens: its target, or its replicas' ("3 replicas at 127.0.0.1:8082, :8084, :8086"). */
    static String where(Instance i) {
        if (i.count() == 1) {
            return i.target().toString();
        }
        StringBuilder b = new StringBuilder(i.count() + " replicas at " + i.target());
        for (Instance.Replica r : i.others()) {
            b.append(", :").append(r.port());
        }
        return b.toString();
    }

    /**
     * The health gate: waits until every replica of {@code i} is healthy (they started together,
     * so waiting for one after another takes as long as the slowest); if one is not, says which and
     * why with its last log lines.
     */
    Duration awaitHealthy(Deployment d, Instance i) throws UnhealthyException, InterruptedException {
        Duration took = gate(i, "");
        d.step("healthy", (i.count() == 1 ? "" : "all " + i.count() + " replicas, ") + "after " + took.toMillis()
                + " ms", took);
        runStates.check(i);
        return took;
    }

    /** Waits until each replica of {@code i} is healthy, or says why one is not with its last log lines ({@code when}: "after its warm-up, "). */
    private Duration gate(Instance i, String when) throws UnhealthyException, InterruptedException {
        long start = ticker.nanos();
        for (int k = 0; k < i.count(); k++) {
            int replica = k;
            String which = when + (i.count() == 1 ? "" : "replica " + (k + 1) + " of " + i.count() + ": ");
            try {
                health.await(i.single(k).target(), () -> runtime.failing(i, replica));
                runtime.awaitReady(i, k);
            } catch (UnhealthyException e) {
                throw withLogs(i, k, which + e.getMessage());
            } catch (AppRuntime.RuntimeFailure e) {
                throw withLogs(i, k, which + i.single(k).target() + " " + e.getMessage());
            }
        }
        return since(start);
    }

    private UnhealthyException withLogs(Instance i, int k, String message) {
        List<String> lines = runtime.logs(i, k, app.logLines());
        return new UnhealthyException(message + (lines.isEmpty() ? "; it logged nothing"
                : "; its last log lines:\n  " + String.join("\n  ", lines)));
    }

    /**
     * Warms a healthy {@code i} up before it takes traffic, as {@code plan} says (nothing when
     * off), and records how it went as a step. Warm-up requests that fail are a warning, not a
     * failure: the version fails only if it stops (it is watched meanwhile) or no longer passes its
     * health check afterwards. Each replica is warmed up in turn, as a version of one would be (a
     * step each): each is a process of its own, with its own JIT and caches.
     */
    void warmUp(Deployment d, Instance i, WarmUpSettings plan) throws UnhealthyException, InterruptedException {
        if (plan.off()) {
            return;
        }
        List<String> warnings = new java.util.ArrayList<>();
        for (int k = 0; k < i.count(); k++) {
            Warming w = warmUps.start(i.single(k).target(), plan);
            WarmUpResult r = awaitWarmUp(i, w);
            d.step("warm-up", (i.count() == 1 ? "" : "replica " + (k + 1) + " of " + i.count() + ": ") + r.describe(),
                    r.took());
            if (r.failed() > 0) {
                warnings.add("warm-up" + (i.count() == 1 ? "" : " of replica " + (k + 1)) + ": " + r.failed() + " of "
                        + r.requests() + " requests got a 5xx or no answer; " + i.release().describe()
                        + " was still healthy after it, so the deploy went on");
            }
        }
        gate(i, "after its warm-up, ");
        warnings.forEach(d::warn);
    }

    /** Waits for a warm-up's end, watching that the version runs meanwhile (the watch may block: this is the deploy's thread). */
    private WarmUpResult awaitWarmUp(Instance i, Warming w) throws UnhealthyException, InterruptedException {
        for (;;) {
            try {
                return w.done().get(WARM_UP_WATCH.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                for (int k = 0; k < i.count(); k++) {
                    Optional<String> stopped = runtime.failing(i, k);
                    if (stopped.isPresent()) {
                        w.cancel(i.describe(k) + " " + stopped.get());
                        throw withLogs(i, k, i.describe(k) + " " + stopped.get() + " during its warm-up");
                    }
                }
            } catch (InterruptedException e) {
                w.cancel("the deploy was interrupted");
                throw e;
            } catch (ExecutionException e) {
                throw new IllegalStateException("the warm-up failed", e.getCause());     // it never does
            }
        }
    }

    /** The previous version, running again (a rollback's candidate). */
    Instance wake(Deployment d, Instance previous) {
        if (runStates.check(previous).isEmpty()) {
            d.step("previous version still running", previous.release().describe(), Duration.ZERO);
            return previous;
        }
        long t = ticker.nanos();
        Instance woken = runtime.restart(previous);
        record(states.current().withPrevious(woken));
        d.step("previous version started", woken.release().describe() + " on " + woken.colour().label(), since(t));
        return woken;
    }

    /** The old version, after its drain: stopped, or kept running for a while (never while it carries traffic). */
    private void retire(Deployment d, Instance old) {
        if (old == null) {
            return;
        }
        if (routing.routesTo(old.target())) {
            d.warn(old.release().describe() + " carries traffic, so it was not stopped");
            return;
        }
        if (app.keepPrevious() == AppSettings.KeepPrevious.RUNNING) {
            record(states.current().withPreviousStopsAt(clock.instant().plus(app.keepRunningFor())));
            keptRunning.accept(states.current());
            d.step("old version kept running", "for " + app.keepRunningFor().toSeconds()
                    + " s: rollback is instant until then", Duration.ZERO);
            return;
        }
        long t = ticker.nanos();
        stop(old);
        d.step("old version stopped", old.release().describe() + " on " + old.colour().label(), since(t));
    }

    /** The reaper's stop of a previous version kept running. */
    void stopPrevious(Instance previous) {
        stop(previous);
        record(states.current().withPreviousStopsAt(null));
    }

    /**
     * Frees the candidate's colour: leftovers go, and a previous version still running there (kept
     * for instant rollback) is stopped. A stopped previous version stays until the candidate is
     * live, so a failed deploy still has something to roll back to.
     */
    void makeRoom(Deployment d, Instance active, Instance previous) throws DeployException {
        long t = ticker.nanos();
        for (String removed : runtime.removeAllExcept(Instance.present(active, previous),
                Instance.present(active, previous, states.current().candidate()))) {
            d.step("removed leftover", removed, since(t));
        }
        if (previous != null && routing.routesTo(previous.target())) {
            throw new DeployException("traffic goes to the previous version " + previous.release().describe() + " at "
                    + previous.target() + " (switched to by hand), whose port the new version would take: "
                    + "roll back, or switch to the active version, then deploy");
        }
        if (previous != null) {
            // stopped whatever its state: one its restart policy is bringing back would take the port again
            boolean wasRunning = runStates.check(previous).isEmpty();
            t = ticker.nanos();
            stop(previous);
            if (wasRunning) {
                d.step("previous version stopped", previous.release().describe() + " (to free " + previous.target()
                        + ")", since(t));
            }
        }
    }

    /** Once the candidate is live, the version before the old one is no longer kept. */
    void removeOlder(Deployment d, Instance older) {
        if (older != null) {
            long t = ticker.nanos();
            runtime.remove(older);
            d.step("removed older version", older.release().describe(), since(t));
        }
    }

    /** A candidate that will not take requests: removed, and no longer recorded. */
    void discard(Deployment d, Instance candidate) {
        long t = ticker.nanos();
        runtime.remove(candidate);
        record(states.current().withCandidate(null));
        d.step("candidate removed", candidate.release().describe(), since(t));
    }

    /** The app's hooks. */
    DeployHooks hooks() {
        return hooks;
    }

    /** A step after the flip: if it fails, the deploy says so as a warning and goes on. */
    void afterFlip(Deployment d, String what, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            d.warn(what + " failed: " + Deployer.reason(e));
            warnings.increment();
        }
    }

    /** Stops {@code i}; routing and the run states hear of it. */
    void stop(Instance i) {
        runtime.stop(i);
        routing.stopped(i.target());
        runStates.check(i);
    }

    void record(AppState next) {
        states.record(next);
    }

    private Duration since(long startNanos) {
        return Duration.ofNanos(ticker.nanos() - startNanos);
    }
}
