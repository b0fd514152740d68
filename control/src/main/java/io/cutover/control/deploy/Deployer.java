package io.cutover.control.deploy;

import io.cutover.control.deploy.runtime.AppRuntime;
import io.cutover.control.deploy.runtime.Colour;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.runtime.Release;
import io.cutover.control.deploy.state.AppState;
import io.cutover.control.deploy.state.RunStates;
import io.cutover.control.deploy.state.StateKeeper;
import io.cutover.control.deploy.state.StateStore;

import io.cutover.control.health.HealthCheck;
import io.cutover.control.health.HealthCheck.UnhealthyException;
import io.cutover.control.switching.RoutingLock;
import io.cutover.control.switching.SwitchService;
import io.cutover.control.loop.Ticker;
import io.cutover.control.canary.CanaryRelease;
import io.cutover.control.canary.Steering;
import io.cutover.control.config.AppSettings;
import io.cutover.control.config.CanarySettings;
import io.cutover.proxy.DrainResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Deploys and rollbacks of the app. A deploy, top-down: pick the free colour, start the
 * candidate there, wait until it is healthy, record it as the active version, flip traffic to
 * it, drain the old version, stop it. A rollback is the same with the previous version as the
 * candidate. Deployments run one at a time ({@link DeployQueue}) and own routing while they run
 * (manual switches are refused meanwhile); callers get a {@link Deployment} at once and follow
 * its steps. Once traffic has moved, the deploy has succeeded: what fails after that is a
 * warning, not a failure that would make a CD job roll a good release back.
 */
public final class Deployer implements AutoCloseable {
    private static final Duration RUN_STATE_INTERVAL = Duration.ofSeconds(2);

    /** What the deployer works with. */
    public record Parts(AppRuntime runtime, SwitchService switches, HealthCheck health, StateStore store,
                        MeterRegistry meters) {
    }

    private final AppSettings app;
    private final CanarySettings canaryDefaults;
    private final Steering steering = new Steering();
    private volatile CanaryRelease canary;
    private final AppRuntime runtime;
    private final SwitchService switches;
    private final HealthCheck health;
    private final MeterRegistry meters;
    private final Clock clock;
    private final Ticker ticker;
    private final RunStates runStates;
    private final DeployQueue line = new DeployQueue();
    private final StateKeeper states;
    private final Reaper reaper;
    private final Counter warnings;
    private final Canaries canaries;

    private interface Canaries {
        Counter counter(String outcome);
    }
    /** Writes the state for what is not a deploy (maintenance): the file may block, the loops may not. */
    private final java.util.concurrent.ExecutorService stateWriter =
            java.util.concurrent.Executors.newSingleThreadExecutor(io.cutover.control.loop.ControlLoop.daemon("cutover-state"));
    private volatile String restoreProblem;

    public Deployer(AppSettings app, CanarySettings canaryDefaults, Parts parts, Clock clock, Ticker ticker) {
        this.app = app;
        this.canaryDefaults = canaryDefaults;
        this.runtime = parts.runtime();
        this.switches = parts.switches();
        this.health = parts.health();
        this.states = new StateKeeper(parts.store());
        this.meters = parts.meters();
        this.clock = clock;
        this.ticker = ticker;
        this.runStates = new RunStates(runtime);
        this.reaper = new Reaper(line, clock, states::current, i -> switches.routesTo(i.target()), this::stopPrevious,
                () -> record(states.current().withPreviousStopsAt(null)));
        this.warnings = Counter.builder("cutover.deploy.warnings")
                .description("Steps after a deploy's flip that failed (the deploy itself succeeded)")
                .tag("app", app.name()).register(meters);
        this.canaries = outcome -> Counter.builder("cutover.canaries")
                .description("Canary releases by outcome: promoted, or aborted (by analysis or by hand)")
                .tags("app", app.name(), "outcome", outcome).register(meters);
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
    }

    /** A deploy as configured: a canary if the app's canary steps say so, otherwise all at once. */
    public Deployment deploy(Release release, boolean waitForLock) throws DeployQueue.BusyException {
        return deploy(release, waitForLock, canaryDefaults);
    }

    /** A deploy with its own canary plan (no steps: all at once). */
    public Deployment deploy(Release release, boolean waitForLock, CanarySettings plan) throws DeployQueue.BusyException {
        return submit(Deployment.Kind.DEPLOY, release, waitForLock, d -> deploy(d, plan));
    }

    public Deployment rollback(boolean waitForLock) throws DeployQueue.BusyException {
        return submit(Deployment.Kind.ROLLBACK, null, waitForLock, this::rollback);
    }

    private void deploy(Deployment d, CanarySettings plan) throws Exception {
        Instance old = states.current().active();
        Instance older = states.current().previous();
        makeRoom(d, old, older);
        Instance candidate = startCandidate(d, old == null ? Colour.BLUE : old.colour().other());
        if (plan.steps().isEmpty() || old == null) {
            bringIn(d, candidate, old, () -> discard(d, candidate));
        } else {
            canaryIn(d, plan, candidate, old);
        }
        afterFlip(d, "removing the version before " + (old == null ? "it" : old.release().describe()),
                () -> removeOlder(d, older));
    }

    private void rollback(Deployment d) throws Exception {
        Instance current = states.current().active();
        Instance previous = states.current().previous();
        if (previous == null) {
            throw new DeployException("there is no previous version to roll back to");
        }
        Instance back = wake(d, previous);
        bringIn(d, back, current, () -> stop(back));
    }

    /**
     * The second half of every deploy: health gate, record, flip, drain, retire the old version.
     * If the incoming version fails its health gate or cannot be recorded, {@code giveUp} undoes
     * its start and traffic never moved.
     */
    private void bringIn(Deployment d, Instance incoming, Instance outgoing, Runnable giveUp) throws Exception {
        Duration healthWait;
        try {
            healthWait = awaitHealthy(d, incoming);
            // recorded before the flip: a restart after it (or a crash in between) routes to the new version
            record(new AppState(incoming, outgoing, null));
        } catch (Exception e) {
            giveUp.run();
            throw e;
        }
        SwitchService.Flip flip = switches.flipChecked(incoming.target(), incoming.release().describe(), healthWait);
        d.step("switched", (flip.previous() == null ? "now routing to " : flip.previous() + " -> ")
                + incoming.target(), Duration.ZERO);
        awaitDrained(d, flip);
        afterFlip(d, "retiring " + (outgoing == null ? "the old version" : outgoing.release().describe()),
                () -> retire(d, outgoing));
    }

    /**
     * A canary release of a healthy candidate: it takes a growing share of requests while it is
     * compared with the stable version. Promoted, it is recorded and the stable version drains
     * and retires as after a switch; aborted, its share goes to 0 in one flip, its requests finish,
     * it is removed, and the deploy fails with the figures. The stable version is never stopped.
     */
    private void canaryIn(Deployment d, CanarySettings plan, Instance incoming, Instance outgoing) throws Exception {
        Duration healthWait;
        CanaryRelease.Outcome outcome;
        CanaryRelease run = new CanaryRelease(switches, plan, steering, ticker,
                io.cutover.control.canary.CanaryKey.file(app.stateFile(), app.name()));
        try {
            healthWait = awaitHealthy(d, incoming);
            canary = run;
            outcome = run.run(d, incoming.target(), incoming.release().describe());
            if (outcome.promote()) {
                record(new AppState(incoming, outgoing, null));     // before the flip, as for any switch
            }
        } catch (Exception e) {
            if (run.target() != null) {
                canaries.counter("aborted").increment();    // it had started
            }
            pullBackAndRemove(d, incoming);
            throw e;
        } finally {
            canary = null;
        }
        if (!outcome.promote()) {
            canaries.counter("aborted").increment();
            pullBackAndRemove(d, incoming);
            throw new DeployException("canary aborted: " + outcome.why());
        }
        canaries.counter("promoted").increment();
        SwitchService.Flip flip = switches.canaryPromote(healthWait);
        d.step("promoted", outcome.why() + "; " + flip.previous() + " -> " + incoming.target(), Duration.ZERO);
        awaitDrained(d, flip);
        afterFlip(d, "retiring " + outgoing.release().describe(), () -> retire(d, outgoing));
    }

    /** Waits for the old version's drain after a flip, and records how it went. */
    private static void awaitDrained(Deployment d, SwitchService.Flip flip) {
        DrainResult drained = flip.drain().join();
        if (drained != null) {
            d.step("drained", drained.completed() + " requests in " + drained.took().toMillis() + " ms"
                    + (drained.forced() > 0 ? ", " + drained.forced() + " cut at the deadline" : ""), drained.took());
        }
    }

    /**
     * Pulls a canary back (if it got as far as taking requests): share 0, its requests finish;
     * then the candidate is removed, whatever happened to the pull-back.
     */
    private void pullBackAndRemove(Deployment d, Instance candidate) {
        try {
            DrainResult drained = switches.canaryAbort().join();
            if (drained != null) {
                d.step("canary pulled back", "every request to the stable version; " + drained.completed()
                        + " canary requests finished in " + drained.took().toMillis() + " ms"
                        + (drained.forced() > 0 ? ", " + drained.forced() + " cut" : ""), drained.took());
            }
        } finally {
            discard(d, candidate);
        }
    }

    /** The canary running now, if any. */
    public Optional<CanaryRelease> canary() {
        return Optional.ofNullable(canary);
    }

    /** Steers the running canary (promote, abort, set a share). */
    public void steer(Steering.Command command) throws Steering.NoCanaryException {
        steering.send(app.name(), command);
    }

    /** The app's canary settings as configured. */
    public CanarySettings canaryDefaults() {
        return canaryDefaults;
    }

    private Instance startCandidate(Deployment d, Colour colour) {
        long t = ticker.nanos();
        Instance c = runtime.start(d.release(), colour, app.ports().get(colour.ordinal()), d.id());
        record(states.current().withCandidate(c));
        d.step("candidate started", c.release().describe() + " on " + colour.label() + " at " + c.target(), since(t));
        return c;
    }

    private Duration awaitHealthy(Deployment d, Instance i) throws UnhealthyException, InterruptedException {
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

    private Instance wake(Deployment d, Instance previous) {
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
        if (switches.routesTo(old.target())) {
            d.warn(old.release().describe() + " carries traffic, so it was not stopped");
            return;
        }
        if (app.keepPrevious() == AppSettings.KeepPrevious.RUNNING) {
            record(states.current().withPreviousStopsAt(clock.instant().plus(app.keepRunningFor())));
            reaper.watch(states.current());
            d.step("old version kept running", "for " + app.keepRunningFor().toSeconds()
                    + " s: rollback is instant until then", Duration.ZERO);
            return;
        }
        long t = ticker.nanos();
        stop(old);
        d.step("old version stopped", old.release().describe() + " on " + old.colour().label(), since(t));
    }

    /** The reaper's stop of a previous version kept running. */
    private void stopPrevious(Instance previous) {
        stop(previous);
        record(states.current().withPreviousStopsAt(null));
    }

    /**
     * Frees the candidate's colour: leftovers go, and a previous version still running there (kept
     * for instant rollback) is stopped. A stopped previous version stays until the candidate is
     * live, so a failed deploy still has something to roll back to.
     */
    private void makeRoom(Deployment d, Instance active, Instance previous) throws DeployException {
        long t = ticker.nanos();
        for (String removed : runtime.removeAllExcept(Instance.present(active, previous),
                Instance.present(active, previous, states.current().candidate()))) {
            d.step("removed leftover", removed, since(t));
        }
        if (previous != null && switches.routesTo(previous.target())) {
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
    private void removeOlder(Deployment d, Instance older) {
        if (older != null) {
            long t = ticker.nanos();
            runtime.remove(older);
            d.step("removed older version", older.release().describe(), since(t));
        }
    }

    private void discard(Deployment d, Instance candidate) {
        long t = ticker.nanos();
        runtime.remove(candidate);
        record(states.current().withCandidate(null));
        d.step("candidate removed", candidate.release().describe(), since(t));
    }

    /** A step after the flip: if it fails, the deploy says so as a warning and goes on. */
    private void afterFlip(Deployment d, String what, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            d.warn(what + " failed: " + reason(e));
            warnings.increment();
        }
    }

    private Deployment submit(Deployment.Kind kind, Release release, boolean waitForLock, DeployQueue.Flow flow)
            throws DeployQueue.BusyException {
        Deployment d = new Deployment(line.newId(), kind, release, clock.instant(), ticker);
        line.submit(d, waitForLock ? app.lockWait() : null, x -> {
            switches.lock().reserve(RoutingLock.Holder.DEPLOY, x.describe());     // routing is the deploy's until it ends
            try {
                flow.run(x);
            } finally {
                switches.lock().release();
            }
        }, () -> Counter.builder("cutover.deploys").description("Deploys and rollbacks by outcome")
                .tags("app", app.name(), "kind", kind.name().toLowerCase(Locale.ROOT),
                        "outcome", d.state() == Deployment.State.SUCCEEDED ? "succeeded" : "failed")
                .register(meters).increment());
        return d;
    }

    /** Records maintenance on ({@code m}) or off (null) in the app's state, off the caller's thread. */
    public java.util.concurrent.CompletableFuture<Void> recordMaintenance(AppState.Maintenance m) {
        return java.util.concurrent.CompletableFuture.runAsync(() -> states.recordMaintenance(m), stateWriter);
    }

    /** Records a pause on ({@code p}) or off (null) in the app's state, off the caller's thread. */
    public java.util.concurrent.CompletableFuture<Void> recordPaused(AppState.Paused p) {
        return java.util.concurrent.CompletableFuture.runAsync(() -> states.recordPaused(p), stateWriter);
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

    private void stop(Instance i) {
        runtime.stop(i);
        switches.stopped(i.target());
        runStates.check(i);
    }

    private void record(AppState next) {
        states.record(next);
    }

    private Duration since(long startNanos) {
        return Duration.ofNanos(ticker.nanos() - startNanos);
    }

    static String reason(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    @Override
    public void close() {
        line.close();
        stateWriter.shutdown();
        runStates.close();
    }
}
