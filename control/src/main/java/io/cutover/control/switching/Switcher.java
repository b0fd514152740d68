package io.cutover.control.switching;

import io.cutover.control.health.HealthCheck;
import io.cutover.control.switching.SwitchService.Flip;
import io.cutover.control.switching.SwitchService.Outcome;
import io.cutover.proxy.AppRouter;
import io.cutover.proxy.Backend;
import io.cutover.proxy.Canary;
import io.cutover.proxy.DrainResult;
import io.cutover.proxy.ProxyServer;
import io.cutover.proxy.Target;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The core of a switch, for one app: wait until the new target is healthy (the health gate),
 * flip the router (the old backend is handed back), drain the old backend with a deadline in the
 * background. It also routes at start-up, without a gate. Whoever calls it holds the app's
 * {@link RoutingLock} (a {@link ManualSwitch}, a deploy): it does not interleave switches itself.
 *
 * <p>None of it runs on the proxy's event loops: the probes, the flip and what follows a drain
 * run on the control loop.
 */
public final class Switcher {
    private static final Logger log = LoggerFactory.getLogger(Switcher.class);

    /** How long a flip waits for the connections opened ahead of it. */
    static final Duration PREWARM_WAIT = Duration.ofSeconds(1);

    private final String app;
    private final ProxyServer proxy;
    private final AppRouter router;
    private final EventLoop control;
    private final Executor resolver;
    private final Clock clock;
    private final Drains drains;
    private final PreviousTarget previous;
    private final SwitchMetrics metrics;
    private final ReplicaSets replicas;
    /** The app's health check: a reload changes it in place. */
    private volatile HealthGate health;
    private volatile SwitchRecord last;

    /**
     * @param resolver where a host name is resolved (DNS may block: never an event loop)
     * @param clock    when each switch happened, for its record
     */
    public Switcher(String app, ProxyServer proxy, EventLoop control, Executor resolver, Clock clock,
                    HealthGate health, Drains drains, PreviousTarget previous, SwitchMetrics metrics,
                    ReplicaSets replicas) {
        this.app = app;
        this.proxy = proxy;
        this.router = proxy.router().app(app);
        this.control = control;
        this.resolver = resolver;
        this.clock = clock;
        this.health = health;
        this.drains = drains;
        this.previous = previous;
        this.metrics = metrics;
        this.replicas = replicas;
    }

    /** The health gate of the switches from now on (a reload changed the app's health check). */
    void health(HealthGate next) {
        health = next;
    }

    /**
     * Switches traffic to {@code target} once it is healthy. The future completes right after the
     * flip; the old backend keeps finishing its in-flight requests in the background. Nothing
     * here blocks: a host name is resolved on the resolver, the probes and the flip run on the
     * control loop. A switch back to a target left recently, whose background probe just passed,
     * flips at once, with no probe of its own.
     */
    CompletableFuture<Outcome> switchTo(Target target) {
        HealthGate health = this.health;
        return resolve(target).thenCompose(address -> onControl(() -> previous.warm(target, address))
                .thenCompose(warm -> {
                    Backend incoming = replicas.backend(proxy, app, target, address, target.toString());
                    // the watch probes one address: a version of several replicas checks each
                    if (warm && incoming.replicas().size() == 1) {
                        // back to a target left recently, whose background probe just passed: no
                        // probe of its own, and no wait for its connections either: they open
                        // after the flip (opening them takes a socket and a task per loop, up to
                        // milliseconds on a loaded machine), and a request that comes before
                        // they are open opens its own, as after any flip
                        Target left = flip(incoming, Duration.ZERO).previous();
                        try {
                            incoming.prewarm(proxy.group());
                        } catch (RuntimeException e) {      // flipped regardless: the switch happened
                            log.debug("app={} connections to {} not opened ahead: {}", app, target, e.toString());
                        }
                        return CompletableFuture.completedFuture(new Outcome(left, target, true, Duration.ZERO));
                    }
                    // connections to the new target open while its health is checked, so the
                    // first requests after the flip find them ready
                    incoming.prewarm(proxy.group());
                    return checkAll(health, incoming)
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

    /**
     * Runs a switch's path once without flipping, so that the first real switch after start-up
     * finds its code loaded and compiled: a backend for the active target is made, a connection
     * to it opened on each loop and its health checked, as {@link #switchTo} does for a new
     * target; then it is discarded, never routed. Without an active target there is nothing to
     * rehearse on. It never fails: the future completes either way, with the backend it made
     * (discarded), or null.
     */
    public CompletableFuture<Backend> rehearse() {
        Backend active = router.active();
        if (active == null) {
            return CompletableFuture.completedFuture(null);
        }
        HealthGate health = this.health;
        CompletableFuture<Backend> done = new CompletableFuture<>();
        try {
            control.execute(() -> {
                Backend rehearsal = replicas.backend(proxy, app, active.target(), active.address(), active.version());
                CompletableFuture<Duration> checked;
                try {
                    if (proxy.group().isShuttingDown()) {
                        // this cutover stops (say, it handed over to a new one): its loops refuse
                        // new connections, and Netty would log each refusal as an error
                        throw new IllegalStateException("the proxy's event loops are stopping");
                    }
                    checked = boundedOnControl(rehearsal.prewarm(proxy.group()), PREWARM_WAIT)
                            .thenCompose(v -> checkAll(health, rehearsal));
                } catch (RuntimeException e) {     // say, the proxy's loops are shutting down
                    checked = CompletableFuture.failedFuture(e);
                }
                checked.whenComplete((took, e) -> {
                    rehearsal.discard();
                    log.debug("app={} switch rehearsed on {}: {}", app, active.target(),
                            e == null ? "healthy in " + took.toMillis() + " ms" : e.toString());
                    done.complete(rehearsal);
                });
            });
        } catch (RuntimeException e) {      // the control loop is shutting down: nothing to rehearse
            done.complete(null);
        }
        return done;
    }

    /**
     * Flips to a target whose health the caller has already checked (a deploy's candidate, under
     * its hold of the routing lock), once a connection to it is open on each loop (bounded).
     * Blocks: call it from a thread that may (a deploy's).
     */
    public Flip flipChecked(Target target, String version, Duration healthWait) {
        return flip(warmBackend(target, version), healthWait);
    }

    /**
     * A new backend for {@code target}, not routed yet, with a connection open on each loop
     * (waited for, bounded). Resolves the target and waits: call it from a thread that may block.
     */
    Backend warmBackend(Target target, String version) {
        Backend incoming = replicas.backend(proxy, app, target, target.resolve(), version);
        try {
            incoming.prewarm(proxy.group()).get(PREWARM_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // flip regardless: the first requests open their own connections
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return incoming;
    }

    /**
     * The health gate of every replica of {@code incoming} at once; how long the slowest took.
     * Non-blocking: the probes run on the control loop.
     */
    private static CompletableFuture<Duration> checkAll(HealthGate health, Backend incoming) {
        List<io.cutover.proxy.Replica> set = incoming.replicas();
        if (set.size() == 1) {
            return health.check(incoming.target(), incoming.address());
        }
        List<CompletableFuture<Duration>> each = set.stream().map(r -> health.check(r.target(), r.address())).toList();
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(v -> each.stream()
                .map(CompletableFuture::join).max(Duration::compareTo).orElse(Duration.ZERO));
    }

    /** The switch itself: one flip of the router, then the old backend drains in the background. */
    private Flip flip(Backend incoming, Duration healthWait) {
        Target target = incoming.target();
        Backend old = router.flip(incoming);
        previous.entered(target);
        metrics.switched(healthWait);
        SwitchRecord record = new SwitchRecord(old == null ? null : old.target(), target, clock.instant(),
                healthWait, null);
        last = record;
        if (old == null) {
            logSwitch(record.drained(new DrainResult(null, 0, 0, 0, Duration.ZERO)));
            return new Flip(null, CompletableFuture.completedFuture(null));
        }
        previous.left(old);
        return new Flip(old.target(), drainAfterSwitch(old, record));
    }

    /**
     * A canary was promoted ({@code old} was active before it): recorded as a switch, and
     * {@code old} drains as after any.
     */
    Flip promoted(Backend old, Duration healthWait) {
        Backend now = router.active();
        previous.entered(now.target());
        metrics.switched(healthWait);
        SwitchRecord record = new SwitchRecord(old == null ? null : old.target(), now.target(), clock.instant(),
                healthWait, null);
        last = record;
        if (old == null) {
            return new Flip(null, CompletableFuture.completedFuture(null));
        }
        previous.left(old);
        return new Flip(old.target(), drainAfterSwitch(old, record));
    }

    /** Routes to a target at start-up, without a health gate: the proxy must come up regardless. */
    public void startWith(Target target) {
        startWith(target, target.toString());
    }

    /**
     * Routes to a target at start-up (or as restored from the app's state), naming the version
     * running there, without a health gate. Resolves the target: call it from a thread that may block.
     */
    public void startWith(Target target, String version) {
        Backend current = router.active();
        if (current != null && current.target().equals(target) && current.version().equals(version)
                && current.targets().equals(replicas.of(target))) {
            return;     // a reload of an app that keeps its version: its connections stay
        }
        Backend old = router.flip(replicas.backend(proxy, app, target, target.resolve(), version));
        if (old != null) {
            drainAfterSwitch(old, new SwitchRecord(old.target(), target, clock.instant(), Duration.ZERO, null));
        }
        log.info("app={} routing to {} ({}) from start-up", app, target, version);
    }

    private CompletableFuture<DrainResult> drainAfterSwitch(Backend old, SwitchRecord record) {
        return drains.drain(old, result -> {
            if (result != null) {
                metrics.drained(result);
            }
            SwitchRecord done = record.drained(result);
            if (last == record) {
                last = done;
            }
            logSwitch(done);
        });
    }

    private void logSwitch(SwitchRecord r) {
        DrainResult d = r.drain();
        log.info("switch app={} from={} to={} health_wait_ms={} drained={} forced={} drain_ms={}",
                app, r.from() == null ? "none" : r.from(), r.to(), r.healthWait().toMillis(), d.completed(), d.forced(),
                d.took().toMillis());
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
    private <T> CompletableFuture<T> onControl(Supplier<T> work) {
        return control.inEventLoop() ? CompletableFuture.completedFuture(work.get())
                : CompletableFuture.supplyAsync(work, control);
    }

    /** A target's address: at once for an IP address, from the resolver for a host name (DNS may block). */
    private CompletableFuture<InetSocketAddress> resolve(Target target) {
        CompletableFuture<InetSocketAddress> address = target.literal()
                ? CompletableFuture.completedFuture(target.resolve())
                : CompletableFuture.supplyAsync(target::resolve, resolver);
        return address.thenCompose(a -> a.isUnresolved()
                ? CompletableFuture.failedFuture(new HealthCheck.UnhealthyException(
                        target + ": host '" + target.host() + "' does not resolve"))
                : CompletableFuture.completedFuture(a));
    }

    /** Whether new requests go to {@code target} now (as the active version or the canary). */
    public boolean routesTo(Target target) {
        Backend active = router.active();
        Canary canary = router.canary();
        return active != null && active.target().equals(target)
                || canary != null && canary.backend().target().equals(target);
    }

    /** The backend taking the app's new requests (but a canary's share), or null. */
    public Backend active() {
        return router.active();
    }

    /** The target traffic left last, and its watch. */
    public PreviousTarget previous() {
        return previous;
    }

    /** The backends still draining. */
    public Drains drains() {
        return drains;
    }

    /** The latest switch, or null if none happened yet. */
    public SwitchRecord lastSwitch() {
        return last;
    }
}
