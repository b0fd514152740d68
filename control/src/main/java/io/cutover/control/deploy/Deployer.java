package io.cutover.control.deploy;

import io.cutover.control.HealthCheck;
import io.cutover.control.HealthCheck.UnhealthyException;
import io.cutover.control.SwitchService;
import io.cutover.control.Ticker;
import io.cutover.control.config.AppSettings;
import io.cutover.proxy.DrainResult;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deploys and rollbacks of the app. A deploy, top-down: take the lock, pick the free colour,
 * start the candidate there, wait until it is healthy, flip traffic to it, drain the old
 * version, stop it, record the new state. A rollback is the same with the previous version as
 * the candidate. Deployments run one at a time on their own thread; callers get a
 * {@link Deployment} at once and follow its steps.
 */
public final class Deployer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Deployer.class);
    private static final int REMEMBERED = 100;
    private static final Duration RUN_STATE_INTERVAL = Duration.ofSeconds(2);

    /** What the deployer works with. */
    public record Parts(AppRuntime runtime, SwitchService switches, HealthCheck health, StateStore store,
                        MeterRegistry meters) {
    }

    /** A deploy that failed for a reason the user can act on. */
    public static final class DeployException extends Exception {
        public DeployException(String message) {
            super(message);
        }
    }

    private interface Flow {
        void run(Deployment d) throws Exception;
    }

    private final AppSettings app;
    private final AppRuntime runtime;
    private final SwitchService switches;
    private final HealthCheck health;
    private final StateStore store;
    private final MeterRegistry meters;
    private final Clock clock;
    private final Ticker ticker;
    private final RunStates runStates;
    private final DeployLock lock = new DeployLock();
    private final ExecutorService runner = Executors.newCachedThreadPool(daemon("cutover-deploy"));
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(daemon("cutover-keep"));
    private final Map<String, Deployment> deployments = Collections.synchronizedMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Deployment> eldest) {
            return size() > REMEMBERED;
        }
    });
    private volatile AppState state = AppState.EMPTY;

    public Deployer(AppSettings app, Parts parts, Clock clock, Ticker ticker) {
        this.app = app;
        this.runtime = parts.runtime();
        this.switches = parts.switches();
        this.health = parts.health();
        this.store = parts.store();
        this.meters = parts.meters();
        this.clock = clock;
        this.ticker = ticker;
        this.runStates = new RunStates(runtime);
    }

    /**
     * After a start or restart of cutover: removes leftovers of an interrupted deploy, makes sure
     * the active version runs, and routes traffic to it.
     */
    public void restore() {
        state = store.load();
        runtime.removeAllExcept(listOf(state.active(), state.previous()))
                .forEach(r -> log.info("removed leftover {}", r));
        Instance active = state.active();
        if (active != null) {
            Optional<String> down = runStates.check(active);
            if (down.isPresent()) {
                log.info("active version {} {}; starting it again", active.release().describe(), down.get());
                active = runtime.restart(active);
            }
            switches.startWith(active.target(), active.release().describe());
        }
        record(new AppState(active, state.previous(), null));
        runStates.watch(() -> state, RUN_STATE_INTERVAL);
    }

    public Deployment deploy(Release release, boolean waitForLock) throws DeployLock.BusyException {
        return submit(Deployment.Kind.DEPLOY, release, waitForLock, this::deploy);
    }

    public Deployment rollback(boolean waitForLock) throws DeployLock.BusyException {
        return submit(Deployment.Kind.ROLLBACK, null, waitForLock, this::rollback);
    }

    private void deploy(Deployment d) throws Exception {
        Instance old = state.active();
        Instance older = state.previous();
        Colour colour = old == null ? Colour.BLUE : old.colour().other();
        makeRoom(d, old, older);
        Instance candidate = startCandidate(d, colour);
        bringIn(d, candidate, old, () -> discard(d, candidate));
        removeOlder(d, older);
    }

    private void rollback(Deployment d) throws Exception {
        Instance current = state.active();
        Instance previous = state.previous();
        if (previous == null) {
            throw new DeployException("there is no previous version to roll back to");
        }
        Instance back = wake(d, previous);
        bringIn(d, back, current, () -> stop(back));
    }

    /**
     * The second half of every deploy: health gate, flip, drain, retire the old version. If the
     * incoming version fails its health gate, {@code giveUp} undoes its start; traffic never moved.
     */
    private void bringIn(Deployment d, Instance incoming, Instance outgoing, Runnable giveUp) throws Exception {
        Duration healthWait;
        try {
            healthWait = awaitHealthy(d, incoming);
        } catch (Exception e) {
            giveUp.run();
            throw e;
        }
        SwitchService.Flip flip = switches.flipChecked(incoming.target(), incoming.release().describe(), healthWait);
        record(new AppState(incoming, outgoing, null));
        d.step("switched", (flip.previous() == null ? "now routing to " : flip.previous() + " -> ")
                + incoming.target(), Duration.ZERO);
        DrainResult drained = flip.drain().join();
        if (drained != null) {
            d.step("drained", drained.completed() + " requests in " + drained.took().toMillis() + " ms"
                    + (drained.forced() > 0 ? ", " + drained.forced() + " cut at the deadline" : ""), drained.took());
        }
        retire(d, outgoing);
    }

    private Instance startCandidate(Deployment d, Colour colour) {
        long t = ticker.nanos();
        Instance c = runtime.start(d.release(), colour, app.ports().get(colour.ordinal()), d.id());
        record(state.withCandidate(c));
        d.step("candidate started", c.release().describe() + " on " + colour.label() + " at " + c.target(), since(t));
        return c;
    }

    private Duration awaitHealthy(Deployment d, Instance i) throws UnhealthyException, InterruptedException {
        Duration took;
        try {
            took = health.await(i.target(), () -> runtime.notRunning(i));
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
        record(state.withPrevious(woken));
        d.step("previous version started", woken.release().describe() + " on " + woken.colour().label(), since(t));
        return woken;
    }

    private void retire(Deployment d, Instance old) {
        if (old == null) {
            return;
        }
        if (app.keepPrevious() == AppSettings.KeepPrevious.RUNNING) {
            timer.schedule(() -> stopIfStillPrevious(old), app.keepRunningFor().toMillis(), TimeUnit.MILLISECONDS);
            d.step("old version kept running", "for " + app.keepRunningFor().toSeconds() + " s: rollback is instant until then",
                    Duration.ZERO);
            return;
        }
        long t = ticker.nanos();
        stop(old);
        d.step("old version stopped", old.release().describe() + " on " + old.colour().label(), since(t));
    }

    private void stopIfStillPrevious(Instance old) {
        Deployment keeper = new Deployment("keep-" + old.deployId(), Deployment.Kind.DEPLOY, old.release(),
                clock.instant(), ticker);
        if (!lock.tryAcquire(keeper)) {
            timer.schedule(() -> stopIfStillPrevious(old), 5, TimeUnit.SECONDS);
            return;
        }
        try {
            if (old.sameRun(state.previous())) {
                stop(state.previous());
                log.info("stopped previous version {} after keeping it running for {}", old.release().describe(),
                        app.keepRunningFor());
            }
        } finally {
            lock.release();
        }
    }

    /**
     * Frees the candidate's colour: leftovers go, and a previous version still running there (kept
     * for instant rollback) is stopped. A stopped previous version stays until the candidate is
     * live, so a failed deploy still has something to roll back to.
     */
    private void makeRoom(Deployment d, Instance active, Instance previous) {
        long t = ticker.nanos();
        for (String removed : runtime.removeAllExcept(listOf(active, previous))) {
            d.step("removed leftover", removed, since(t));
        }
        if (previous != null && runStates.check(previous).isEmpty()) {
            t = ticker.nanos();
            stop(previous);
            d.step("previous version stopped", previous.release().describe() + " (to free " + previous.target() + ")",
                    since(t));
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
        record(state.withCandidate(null));
        d.step("candidate removed", candidate.release().describe(), since(t));
    }

    private Deployment submit(Deployment.Kind kind, Release release, boolean waitForLock, Flow flow)
            throws DeployLock.BusyException {
        Deployment d = new Deployment(newId(), kind, release, clock.instant(), ticker);
        boolean locked = false;
        if (!waitForLock) {
            if (!lock.tryAcquire(d)) {
                throw new DeployLock.BusyException(lock.describeHolder() + " holds the deploy lock");
            }
            locked = true;
        }
        deployments.put(d.id(), d);
        boolean alreadyLocked = locked;
        runner.execute(() -> run(d, alreadyLocked, flow));
        return d;
    }

    private void run(Deployment d, boolean locked, Flow flow) {
        boolean holding = locked;
        try {
            if (!holding) {
                Deployment holder = lock.holder();
                long t = ticker.nanos();
                if (holder != null) {
                    d.step("queued", "waiting for " + holder.describe(), Duration.ZERO);
                }
                lock.acquire(d, app.lockWait());
                holding = true;
                if (holder != null) {
                    d.step("lock acquired", "after " + since(t).toMillis() + " ms", since(t));
                }
            }
            d.running();
            log.info("{} started", d.describe());
            flow.run(d);
            d.succeeded();
            log.info("{} succeeded in {} ms", d.describe(), d.elapsed().toMillis());
        } catch (Exception e) {
            d.failed(reason(e));
            log.warn("{} failed: {}", d.describe(), reason(e));
        } finally {
            meters.counter("cutover.deploys", "kind", d.kind().name().toLowerCase(java.util.Locale.ROOT),
                    "outcome", d.state() == Deployment.State.SUCCEEDED ? "succeeded" : "failed").increment();
            if (holding) {
                lock.release();
            }
        }
    }

    public Optional<Deployment> find(String id) {
        return Optional.ofNullable(deployments.get(id));
    }

    /** The deploy holding the lock, if any. */
    public Optional<Deployment> running() {
        return Optional.ofNullable(lock.holder()).filter(d -> !d.id().startsWith("keep-"));
    }

    public AppState state() {
        return state;
    }

    public AppSettings app() {
        return app;
    }

    public String runtimeKind() {
        return runtime.kind();
    }

    /** "running", or why not, as last seen (for status: it never waits on the runtime). */
    public String describeRunning(Instance i) {
        return runStates.describe(i);
    }

    private void stop(Instance i) {
        runtime.stop(i);
        runStates.check(i);
    }

    private void record(AppState next) {
        state = next;
        store.save(next);
    }

    /** A short id no remembered deployment has (not a secret: no SecureRandom, which may block). */
    private String newId() {
        String id;
        do {
            id = String.format("%08x", ThreadLocalRandom.current().nextInt());
        } while (deployments.containsKey(id));
        return id;
    }

    private Duration since(long startNanos) {
        return Duration.ofNanos(ticker.nanos() - startNanos);
    }

    private static List<Instance> listOf(Instance... instances) {
        List<Instance> list = new ArrayList<>();
        for (Instance i : instances) {
            if (i != null) {
                list.add(i);
            }
        }
        return list;
    }

    private static String reason(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public void close() {
        runner.shutdownNow();
        timer.shutdownNow();
        runStates.close();
    }
}
