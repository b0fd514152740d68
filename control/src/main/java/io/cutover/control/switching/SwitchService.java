package io.cutover.control.switching;

import io.cutover.control.health.HealthCheck;
import io.cutover.control.health.PreviousTargetWatch;
import io.cutover.control.loop.ControlLoop;
import io.cutover.control.loop.Ticker;
import io.cutover.control.observe.Metrics;

import io.cutover.proxy.AppRouter;
import io.cutover.proxy.Backend;
import io.cutover.proxy.Canary;
import io.cutover.proxy.DrainResult;
import io.cutover.proxy.ProxyServer;
import io.cutover.proxy.Target;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.net.InetSocketAddress;
import io.netty.channel.EventLoop;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a switch happens: wait until the new target is healthy, flip the router (the old
 * backend is handed back), drain the old backend with a deadline in the background. Switches
 * never interleave: one that arrives while another is in its health gate is refused.
 *
 * <p>None of it runs on the proxy's event loops: the probes, the flip and what follows a drain
 * run on the control loop.
 */
public final class SwitchService {
    private static final Logger log = LoggerFactory.getLogger(SwitchService.class);

    /** What a switch works with: the app it switches, and where. */
    public record Parts(String app, ProxyServer proxy, HealthCheck health, Metrics metrics, EventLoop control) {
    }

    private final String app;
    private final AppRouter router;
    private final ProxyServer proxy;
    /** The app's health check and drain deadline: a reload changes them in place. */
    private volatile HealthCheck health;
    private final EventLoop control;
    private final Metrics metrics;
    private final Duration keepRetiredSeries;
    private volatile Duration drainDeadline;
    private final Clock clock;
    private final PreviousTargetWatch previousWatch;
    private final TrafficGate gate;
    /**
     * Who may move traffic: a manual switch holds it from its health gate to its flip, a deploy
     * from its start to its end. A permit, so async code can give it back.
     */
    private final Semaphore permit = new Semaphore(1);
    private volatile String reservedBy;
    private final Set<Backend> draining = ConcurrentHashMap.newKeySet();
    private volatile Target switchingTo;
    private volatile Target previous;
    private volatile SwitchRecord last;

    private final List<io.micrometer.core.instrument.Meter> meters;
    private final Counter switchCount;
    private final Timer healthWaits;
    private final Timer drains;
    private final Counter drainedCompleted;
    private final Counter drainedForced;

    /**
     * @param keepRetiredSeries how long the request series of a version traffic has left stay in
     *                          the metrics (so the last scrapes see their final counts)
     */
    public SwitchService(Parts parts, Duration drainDeadline, Duration keepRetiredSeries, Clock clock) {
        this.app = parts.app();
        this.proxy = parts.proxy();
        this.router = proxy.router().app(app);
        this.gate = new TrafficGate(app, proxy, router);
        this.health = parts.health();
        this.control = parts.control();
        this.metrics = parts.metrics();
        this.drainDeadline = drainDeadline;
        this.keepRetiredSeries = keepRetiredSeries;
        this.clock = clock;
        this.previousWatch = new PreviousTargetWatch(health, control, health.interval(), Ticker.SYSTEM);
        MeterRegistry meters = metrics.registry();
        this.meters = List.of(
                Gauge.builder("cutover.requests.in.flight", this, SwitchService::inFlight)
                        .description("Requests in flight, on the active backend, a canary, and those still draining")
                        .tag("app", app).register(meters),
                switchCount = Counter.builder("cutover.switches").description("Switches of traffic to another target")
                        .tag("app", app).register(meters),
                healthWaits = Timer.builder("cutover.health.wait")
                        .description("How long a switch waited for its new target to pass the health check")
                        .tag("app", app).register(meters),
                drains = Timer.builder("cutover.drain")
                        .description("How long the old target took to finish its requests after a switch")
                        .tag("app", app).register(meters),
                drainedCompleted = drainedRequests(meters, "completed"),
                drainedForced = drainedRequests(meters, "forced"),
                Gauge.builder("cutover.backend.connections", this, x -> x.activeConnections(false))
                        .description("Connections to the app's active version: open (busy or idle), or idle in its pools")
                        .tags("app", app, "state", "open").register(meters),
                Gauge.builder("cutover.backend.connections", this, x -> x.activeConnections(true))
                        .description("Connections to the app's active version: open (busy or idle), or idle in its pools")
                        .tags("app", app, "state", "idle").register(meters));
    }

    private Counter drainedRequests(MeterRegistry meters, String outcome) {
        return Counter.builder("cutover.drain.requests")
                .description("Requests in flight on a target when traffic left it: completed, or cut at the drain deadline")
                .tags("app", app, "outcome", outcome).register(meters);
    }

    private int activeConnections(boolean idle) {
        Backend active = router.active();
        return active == null ? 0 : idle ? active.idleConnections() : active.openConnections();
    }

    /** The app this service switches. */
    public String app() {
        return app;
    }

    /**
     * Takes routing for good if no switch or deploy holds it now (a reload is about to change or
     * remove the app); {@link #release()} gives it back if the reload is refused.
     */
    public boolean tryReserve(String owner) {
        if (!permit.tryAcquire()) {
            return false;
        }
        reservedBy = owner;
        return true;
    }

    /**
     * Stops this app's control (a reload removed it, or cutover stops): its meters go, the previous
     * target is no longer probed. Its routing stays as it is.
     */
    public void close() {
        meters.forEach(metrics.registry()::remove);
        control.execute(previousWatch::stop);
    }

    /**
     * New settings from a reload, in place: the next health gate and drain use them, the previous
     * target's probes too. What the app serves, its previous target, its last switch and the
     * drains under way (with the deadline they started with) stay as they are.
     */
    public void reconfigure(HealthCheck health, Duration drainDeadline) {
        this.health = health;
        this.drainDeadline = drainDeadline;
        control.execute(() -> previousWatch.health(health));
    }

    /** Requests in flight on the active backend, a canary, and those still draining. */
    public int inFlight() {
        Backend active = router.active();
        io.cutover.proxy.Canary canary = router.canary();
        int n = (active == null ? 0 : active.inFlight()) + (canary == null ? 0 : canary.backend().inFlight());
        for (Backend b : draining) {
            n += b.inFlight();
        }
        return n;
    }

    /** Another switch holds the lock. */
    public static final class SwitchInProgressException extends Exception {
        public SwitchInProgressException(String message) {
            super(message);
        }
    }

    /** What a switch did; {@code changed} is false when the target was already active. */
    public record Outcome(Target previous, Target active, boolean changed, Duration healthWait) {
    }

    /**
     * Switches traffic to {@code target} once it is healthy. The future completes right after the
     * flip; the old backend keeps finishing its in-flight requests in the background. Nothing
     * here blocks: a host name is resolved on a thread of its own, the probes and the flip run
     * on the control loop.
     */
    public CompletableFuture<Outcome> switchTo(Target target) {
        if (!permit.tryAcquire()) {
            String owner = reservedBy;
            return CompletableFuture.failedFuture(new SwitchInProgressException(owner != null
                    ? owner + " is running and owns routing until it ends; switch after it (or roll back then)"
                    : "a switch to " + switchingTo + " is already running"));
        }
        switchingTo = target;
        Backend current = router.active();
        CompletableFuture<Outcome> outcome;
        if (current != null && current.target().equals(target)) {
            outcome = CompletableFuture.completedFuture(new Outcome(previous, target, false, Duration.ZERO));
        } else {
            HealthCheck health = this.health;
            outcome = resolve(target).thenCompose(address -> onControl(() -> previousWatch.warm(target))
                    .thenCompose(warm -> {
                        // connections to the new target open while its health is checked, so the
                        // first requests after the flip find them ready
                        Backend incoming = proxy.newBackend(app, target, address, target.toString());
                        CompletableFuture<Void> connected = incoming.prewarm(proxy.group());
                        if (warm) {
                            // back to the previous target, whose background probe just passed: no
                            // probe of its own, only its connections to open (bounded)
                            return boundedOnControl(connected, PREWARM_WAIT)
                                    .thenApply(v -> new Outcome(flip(incoming, Duration.ZERO).previous(), target,
                                            true, Duration.ZERO));
                        }
                        return health.check(target, address)
                                .thenApply(healthWait -> {      // on the control loop, where the last probe ended
                                    Flip flip = flip(incoming, healthWait);
                                    return new Outcome(flip.previous(), target, true, healthWait);
                                })
                                .whenComplete((o, e) -> {
                                    if (e != null) {
                                        incoming.discard();
                                    }
                                });
                    }));
        }
        return outcome.whenComplete((o, e) -> {
            switchingTo = null;
            permit.release();
        });
    }

    /** A flip: the target traffic left (null on the first), and the drain of its backend. */
    public record Flip(Target previous, CompletableFuture<DrainResult> drain) {
    }

    /**
     * A deploy takes routing over for its whole run: it waits for a manual switch in its health
     * gate to end, and from then on manual switches are refused (409, naming {@code owner}), so
     * that neither undoes the other. Give it back with {@link #release()}.
     */
    public void reserve(String owner) {
        permit.acquireUninterruptibly();
        reservedBy = owner;
    }

    /** Whether a takeover holds the app (its state is being handed to a new process: nothing may change it). */
    public boolean heldByTakeover() {
        return "takeover".equals(reservedBy);
    }

    public void release() {
        reservedBy = null;
        permit.release();
    }

    /**
     * Flips to a target whose health the caller has already checked (a deploy's candidate, under
     * its {@link #reserve reservation}), once a connection to it is open on each loop (bounded).
     */
    public Flip flipChecked(Target target, String version, Duration healthWait) {
        Backend incoming = proxy.newBackend(app, target, target.resolve(), version);  // the caller's thread may block
        try {
            incoming.prewarm(proxy.group()).get(PREWARM_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // flip regardless: the first requests open their own connections
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return flip(incoming, healthWait);
    }

    /**
     * Starts a canary at 0%: a backend for the candidate, whose health the caller has checked,
     * with a connection open on each loop (bounded). Requests on the allowlist go to it at once.
     * Call it from a thread that may block (a deploy's).
     *
     * @param cookieKey the app's key for signing its canary cookie ({@link io.cutover.proxy.CanaryCookie})
     */
    public Backend canaryStart(Target target, String version, List<Canary.Allow> allow, byte[] cookieKey) {
        Backend incoming = proxy.newBackend(app, target, target.resolve(), version);
        try {
            incoming.prewarm(proxy.group()).get(PREWARM_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // the first requests open their own connections
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        router.canary(new Canary(incoming, 0, allow, new io.cutover.proxy.CanaryCookie(app, cookieKey)));
        log.info("app={} canary {} ({}) started at 0%", app, target, version);
        return incoming;
    }

    /** The canary's share of new requests from now on, in percent (0-100). */
    public void canaryShare(int percent) {
        Canary c = router.canary();
        if (c == null) {
            throw new IllegalStateException("app " + app + " has no canary");
        }
        router.canary(c.share(percent * 100));
        log.info("app={} canary {} takes {}% of requests", app, c.backend().target(), percent);
    }

    /** The canary now, or null. */
    public Canary canary() {
        return router.canary();
    }

    /**
     * Promotes the canary: it takes every request in one flip, and the version it replaces drains
     * as after any switch. Recorded as a switch.
     */
    public Flip canaryPromote(Duration healthWait) {
        Backend old = router.promote();
        Backend now = router.active();
        switchCount.increment();
        healthWaits.record(healthWait);
        SwitchRecord record = new SwitchRecord(old == null ? null : old.target(), now.target(), clock.instant(),
                healthWait, null);
        last = record;
        if (old == null) {
            return new Flip(null, CompletableFuture.completedFuture(null));
        }
        previous = old.target();
        control.execute(() -> previousWatch.watch(old.target(), old.address()));
        return new Flip(old.target(), drainInBackground(old, record));
    }

    /**
     * Aborts the canary: its share goes to 0 in one flip (every new request to the stable
     * version), and its requests in flight finish (drain, with the deadline).
     *
     * @return the canary's drain; completed with null if there was no canary
     */
    public CompletableFuture<DrainResult> canaryAbort() {
        Canary was = router.canary(null);
        if (was == null) {
            return CompletableFuture.completedFuture(null);
        }
        log.info("app={} canary {} aborted: every new request goes to the stable version", app, was.backend().target());
        Backend b = was.backend();
        draining.add(b);
        return b.drain(drainDeadline, proxy.group().next()).whenCompleteAsync((r, e) -> {
            draining.remove(b);
            forgetLater(b);
        }, control);
    }

    /** Whether new requests go to {@code target} now. */
    public boolean routesTo(Target target) {
        Backend active = router.active();
        Canary canary = router.canary();
        return active != null && active.target().equals(target)
                || canary != null && canary.backend().target().equals(target);
    }

    /** The switch itself: one flip of the router, then the old backend drains in the background. */
    private Flip flip(Backend incoming, Duration healthWait) {
        Target target = incoming.target();
        Backend old = router.flip(incoming);
        switchCount.increment();
        healthWaits.record(healthWait);
        SwitchRecord record = new SwitchRecord(old == null ? null : old.target(), target, clock.instant(),
                healthWait, null);
        last = record;
        if (old == null) {
            logSwitch(record.drained(new DrainResult(null, 0, 0, 0, Duration.ZERO)));
            return new Flip(null, CompletableFuture.completedFuture(null));
        }
        previous = old.target();
        control.execute(() -> previousWatch.watch(old.target(), old.address()));
        return new Flip(old.target(), drainInBackground(old, record));
    }

    /** Routes to a target at start-up, without a health gate: the proxy must come up regardless. */
    public void startWith(Target target) {
        startWith(target, target.toString());
    }

    /** Routes to a target at start-up, naming the version running there. */
    public void startWith(Target target, String version) {
        Backend current = router.active();
        if (current != null && current.target().equals(target) && current.version().equals(version)) {
            return;     // a reload of an app that keeps its version: its connections stay
        }
        Backend old = router.flip(proxy.newBackend(app, target, target.resolve(), version));
        if (old != null) {
            drainInBackground(old, new SwitchRecord(old.target(), target, clock.instant(), Duration.ZERO, null));
        }
        log.info("app={} routing to {} ({}) from start-up", app, target, version);
    }

    /** Drops a drained backend's request series after a while, unless traffic has gone back to the same version. */
    private void forgetLater(Backend old) {
        control.schedule(() -> {
            io.cutover.proxy.AppRoute entry = proxy.router().entry(app);
            Backend active = entry == null ? null : entry.active();
            boolean inUse = active != null && active.target().equals(old.target()) && active.version().equals(old.version())
                    || draining.stream().anyMatch(b -> b.target().equals(old.target()) && b.version().equals(old.version()));
            if (!inUse) {
                metrics.forget(app, old.target(), old.version());
            }
        }, keepRetiredSeries.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Completes on the control loop when {@code f} does, or after {@code limit}, whichever is
     * first. The loop's own timer: the JDK's completeOnTimeout takes a lock to cancel its timer.
     */
    private CompletableFuture<Void> boundedOnControl(CompletableFuture<?> f, Duration limit) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        var timer = control.schedule(() -> done.complete(null), limit.toNanos(), TimeUnit.NANOSECONDS);
        f.whenComplete((v, e) -> control.execute(() -> {
            timer.cancel(false);
            done.complete(null);
        }));
        return done;
    }

    /** Runs {@code work} on the control loop (at once if already there). */
    private <T> CompletableFuture<T> onControl(java.util.function.Supplier<T> work) {
        return control.inEventLoop() ? CompletableFuture.completedFuture(work.get())
                : CompletableFuture.supplyAsync(work, control);
    }

    /** A target's address: at once for an IP address, from a thread of its own for a host name (DNS may block). */
    private static CompletableFuture<InetSocketAddress> resolve(Target target) {
        CompletableFuture<InetSocketAddress> address = target.literal()
                ? CompletableFuture.completedFuture(target.resolve())
                : CompletableFuture.supplyAsync(target::resolve, RESOLVER);
        return address.thenCompose(a -> a.isUnresolved()
                ? CompletableFuture.failedFuture(new HealthCheck.UnhealthyException(
                        target + ": host '" + target.host() + "' does not resolve"))
                : CompletableFuture.completedFuture(a));
    }

    /** How long a deploy's flip waits for the connections opened ahead of it. */
    private static final Duration PREWARM_WAIT = Duration.ofSeconds(1);

    private static final Executor RESOLVER = Executors.newCachedThreadPool(ControlLoop.daemon("cutover-resolve"));

    private CompletableFuture<DrainResult> drainInBackground(Backend old, SwitchRecord record) {
        draining.add(old);
        // a drain ends on whichever loop its last request ended: the bookkeeping is not theirs to do
        return old.drain(drainDeadline, proxy.group().next()).whenCompleteAsync((result, error) -> {
            draining.remove(old);
            forgetLater(old);
            if (result != null) {
                drains.record(result.took());
                drainedCompleted.increment(result.completed());
                drainedForced.increment(result.forced());
            }
            SwitchRecord done = record.drained(result);
            if (last == record) {
                last = done;
            }
            logSwitch(done);
        }, control);
    }

    private void logSwitch(SwitchRecord r) {
        DrainResult d = r.drain();
        log.info("switch app={} from={} to={} health_wait_ms={} drained={} forced={} drain_ms={}",
                app, r.from() == null ? "none" : r.from(), r.to(), r.healthWait().toMillis(), d.completed(), d.forced(),
                d.took().toMillis());
    }

    /**
     * Blocks until the active target (if any) passes its health check, within the check's
     * deadline (a cutover taking over checks before it accepts).
     */
    public void awaitActiveHealthy() throws HealthCheck.UnhealthyException, InterruptedException {
        Backend a = router.active();
        if (a != null) {
            health.await(a.target());
        }
    }

    public Backend active() {
        return router.active();
    }

    /** The target traffic was switched away from last, if any. */
    public Target previous() {
        return previous;
    }

    /** The app's maintenance and pause. */
    public TrafficGate gate() {
        return gate;
    }

    /** The version at {@code target} was stopped: a switch back to it probes it first. */
    public void stopped(Target target) {
        control.execute(() -> previousWatch.forget(target));
    }

    /** Whether a switch back to {@link #previous()} would flip at once: its background probe just passed. */
    public boolean previousWarm() {
        Target p = previous;
        return p != null && previousWatch.warm(p);
    }

    /** Backends still finishing requests after being switched away from. */
    public List<Backend> draining() {
        return List.copyOf(draining);
    }

    /** The latest switch, or null if none happened yet. */
    public SwitchRecord lastSwitch() {
        return last;
    }
}
