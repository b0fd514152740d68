package io.cutover.control.deploy;

import io.cutover.control.config.AppSettings;
import io.cutover.control.config.HookSettings;
import io.cutover.control.deploy.runtime.AppRuntime;
import io.cutover.control.deploy.runtime.Colour;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.state.AppState;
import io.cutover.control.deploy.state.RunStates;
import io.cutover.control.deploy.state.StateKeeper;
import io.cutover.control.health.HealthCheck.UnhealthyException;
import io.cutover.proxy.DrainResult;
import io.cutover.proxy.Ticker;
import io.micrometer.core.instrument.Counter;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * The steps a deploy, a rollback and a canary are made of, each recorded in the deployment's
 * timeline: make room, start a version, its health gate, the flip, the old version's drain, and
 * retiring (stopping) the old version; each change of versions recorded in the app's state first.
 * Runs on the deploy's thread (it may block on the runtime and the state file).
 */
final class DeploySteps {
    /** What the steps work with. */
    record Parts(AppRuntime runtime, Routing routing, HealthGate health, StateKeeper states, RunStates runStates) {
    }

    private final AppSettings app;
    private final AppRuntime runtime;
    private final Routing routing;
    private final HealthGate health;
    private final StateKeeper states;
    private final RunStates runStates;
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
        this.keptRunning = keptRunning;
        this.warnings = warnings;
        this.clock = clock;
        this.ticker = ticker;
    }

    /**
     * The second half of a deploy or rollback: health gate, record, flip, drain, retire the old
     * version. If the incoming version fails its health gate or cannot be recorded, {@code giveUp}
     * undoes its start and traffic never moved.
     */
    void bringIn(Deployment d, Instance incoming, Instance outgoing, Runnable giveUp) throws Exception {
        Duration healthWait;
        try {
            healthWait = gate(d, incoming, outgoing);
            // recorded before the flip: a restart after it (or a crash in between) routes to the new version
            record(new AppState(incoming, outgoing, null));
        } catch (Exception e) {
            giveUp.run();
            throw e;
        }
        Routing.Flip flip = flip(d, incoming, healthWait);
        hooks.after(d, HookSettings.Hook.POST_SWITCH, incoming, outgoing);
        retireAfterDrain(d, flip, outgoing);
    }

    /**
     * Before {@code incoming} takes any request: its health gate, then the pre-switch hook
     * (a smoke test against it), which refuses the switch if it fails.
     */
    Duration gate(Deployment d, Instance incoming, Instance outgoing) throws Exception {
        Duration healthWait = awaitHealthy(d, incoming);
        hooks.require(d, HookSettings.Hook.PRE_SWITCH, incoming, outgoing);
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

    /** After a flip: waits for the old version's drain, then retires it (a failure there is a warning). */
    void retireAfterDrain(Deployment d, Routing.Flip flip, Instance outgoing) {
        awaitDrained(d, flip);
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

    /** Starts the candidate on {@code colour}'s port, recorded as the candidate. */
    Instance startCandidate(Deployment d, Colour colour) {
        long t = ticker.nanos();
        Instance c = runtime.start(d.release(), colour, app.ports().get(colour.ordinal()), d.id());
        record(states.current().withCandidate(c));
        d.step("candidate started", c.release().describe() + " on " + colour.label() + " at " + c.target(), since(t));
        return c;
    }

    /** The health gate: waits until {@code i} is healthy; if it is not, says why with its last log lines. */
    Duration awaitHealthy(Deployment d, Instance i) throws UnhealthyException, InterruptedException {
        Duration took;
        try {
            took = health.await(i.target(), () -> runtime.failing(i));
        } catch (UnhealthyException e) {
            List<String> lines = runtime.logs(i, app.logLines());
            throw new UnhealthyException(e.getMessage() + (lines.isEmpty() ? "; it logged nothing"
                    : "; its last log lines:\n  " + String.join("\n  ", lines)));
        }
        d.step("healthy", "after " + took.toMillis() + " ms", took);
        runStates.check(i);
        return took;
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
