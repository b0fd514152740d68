package io.cutover.control;

import io.cutover.proxy.Backend;
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
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a switch happens: wait until the new target is healthy, flip the router (the old
 * backend is handed back), drain the old backend with a deadline in the background. Switches
 * never interleave: one that arrives while another is in its health gate is refused.
 */
public final class SwitchService {
    private static final Logger log = LoggerFactory.getLogger(SwitchService.class);

    private final ProxyServer proxy;
    private final HealthCheck health;
    private final Duration drainDeadline;
    private final Clock clock;
    /** Held from a switch's health gate to its flip; a permit, so async code can give it back. */
    private final Semaphore permit = new Semaphore(1);
    private final Set<Backend> draining = ConcurrentHashMap.newKeySet();
    private volatile Target switchingTo;
    private volatile Target previous;
    private volatile SwitchRecord last;

    private final MeterRegistry meters;

    public SwitchService(ProxyServer proxy, HealthCheck health, Duration drainDeadline, Clock clock,
                         MeterRegistry meters) {
        this.proxy = proxy;
        this.health = health;
        this.drainDeadline = drainDeadline;
        this.clock = clock;
        this.meters = meters;
        Gauge.builder("cutover.requests.in.flight", this, SwitchService::inFlight)
                .description("Requests in flight, on the active backend and those still draining")
                .register(meters);
    }

    /** Requests in flight on the active backend and on those still draining. */
    public int inFlight() {
        Backend active = proxy.router().active();
        int n = active == null ? 0 : active.inFlight();
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
     * here blocks: the health probes and the flip run on the proxy's event loops.
     */
    public CompletableFuture<Outcome> switchTo(Target target) {
        if (!permit.tryAcquire()) {
            return CompletableFuture.failedFuture(
                    new SwitchInProgressException("a switch to " + switchingTo + " is already running"));
        }
        switchingTo = target;
        Backend current = proxy.router().active();
        CompletableFuture<Outcome> outcome;
        if (current != null && current.target().equals(target)) {
            outcome = CompletableFuture.completedFuture(new Outcome(previous, target, false, Duration.ZERO));
        } else {
            outcome = health.check(target).thenApply(healthWait -> {
                Flip flip = flip(target, target.toString(), healthWait);
                return new Outcome(flip.previous(), target, true, healthWait);
            });
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
     * Flips to a target whose health the caller has already checked (a deploy's candidate),
     * waiting for any manual switch in its health gate to finish first.
     */
    public Flip flipChecked(Target target, String version, Duration healthWait) {
        permit.acquireUninterruptibly();
        try {
            return flip(target, version, healthWait);
        } finally {
            permit.release();
        }
    }

    /** The switch itself: one flip of the router, then the old backend drains in the background. */
    private Flip flip(Target target, String version, Duration healthWait) {
        Backend old = proxy.router().flip(proxy.newBackend(target, version));
        meters.counter("cutover.switches").increment();
        meters.timer("cutover.health.wait").record(healthWait);
        SwitchRecord record = new SwitchRecord(old == null ? null : old.target(), target, clock.instant(),
                healthWait, null);
        last = record;
        if (old == null) {
            logSwitch(record.drained(new DrainResult(null, 0, 0, 0, Duration.ZERO)));
            return new Flip(null, CompletableFuture.completedFuture(null));
        }
        previous = old.target();
        return new Flip(old.target(), drainInBackground(old, record));
    }

    /** Routes to a target at start-up, without a health gate: the proxy must come up regardless. */
    public void startWith(Target target) {
        startWith(target, target.toString());
    }

    /** Routes to a target at start-up, naming the version running there. */
    public void startWith(Target target, String version) {
        proxy.router().flip(proxy.newBackend(target, version));
        log.info("routing to {} ({}) from start-up", target, version);
    }

    private CompletableFuture<DrainResult> drainInBackground(Backend old, SwitchRecord record) {
        draining.add(old);
        return old.drain(drainDeadline, proxy.group().next()).whenComplete((result, error) -> {
            draining.remove(old);
            if (result != null) {
                meters.timer("cutover.drain").record(result.took());
                meters.counter("cutover.drain.requests", "outcome", "completed").increment(result.completed());
                meters.counter("cutover.drain.requests", "outcome", "forced").increment(result.forced());
            }
            SwitchRecord done = record.drained(result);
            if (last == record) {
                last = done;
            }
            logSwitch(done);
        });
    }

    private static void logSwitch(SwitchRecord r) {
        DrainResult d = r.drain();
        log.info("switch from={} to={} health_wait_ms={} drained={} forced={} drain_ms={}",
                r.from() == null ? "none" : r.from(), r.to(), r.healthWait().toMillis(), d.completed(), d.forced(),
                d.took().toMillis());
    }

    public Backend active() {
        return proxy.router().active();
    }

    /** The target traffic was switched away from last, if any. */
    public Target previous() {
        return previous;
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
