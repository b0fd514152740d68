package io.cutover.control.health;

import io.cutover.proxy.Target;
import io.cutover.proxy.Ticker;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Keeps probing the health of the target traffic was last switched away from (the rollback
 * target), every health interval, as a load balancer checks its servers. A switch back to it
 * while its last probe passed less than two intervals ago flips at once, with no probe of its
 * own: rolling back to a warm previous version takes no health-gate round trip. A probe that
 * fails makes it cold again, so a previous version that went away is probed as any target.
 *
 * <p>Probes run on the control loop, never blocking; what they found may be read from anywhere.
 */
public final class PreviousTargetWatch {
    private static final long NEVER = Long.MIN_VALUE;
    private static final long COLD_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    private HealthCheck health;
    private final EventLoop control;
    private final Ticker ticker;
    private volatile long intervalNanos;
    private volatile Target watched;
    private InetSocketAddress address;
    private int generation;
    private volatile long healthyAtNanos = NEVER;

    public PreviousTargetWatch(HealthCheck health, EventLoop control, Duration interval, Ticker ticker) {
        this.health = health;
        this.control = control;
        this.ticker = ticker;
        this.intervalNanos = interval.toNanos();
    }

    /** Watches {@code target} from now on, instead of whatever it watched before. */
    public void watch(Target target, InetSocketAddress resolved) {
        assert control.inEventLoop();
        watched = target;
        address = resolved;
        healthyAtNanos = NEVER;
        probe(++generation);
    }

    /**
     * {@code target} was stopped (by a deploy, or the reaper): it is cold until a probe passes
     * again, so a switch back to it waits for its own probe (and is refused if it is gone).
     */
    public void forget(Target target) {
        assert control.inEventLoop();
        if (target.equals(watched)) {
            healthyAtNanos = NEVER;
        }
    }

    /** Probes with {@code next} from the next probe on (a reload changed the app's health settings). */
    public void health(HealthCheck next) {
        assert control.inEventLoop();
        health = next;
        intervalNanos = next.interval().toNanos();
    }

    /** Stops watching for good (the app is gone or replaced): no probe is scheduled again. */
    public void stop() {
        assert control.inEventLoop();
        watched = null;
        healthyAtNanos = NEVER;
        generation++;
    }

    /** Whether {@code target} is the one watched and passed a probe within the last two intervals. */
    public boolean warm(Target target) {
        return target.equals(watched) && healthyAtNanos != NEVER && ticker.nanos() - healthyAtNanos <= 2 * intervalNanos;
    }

    private void probe(int gen) {
        health.probeOnce(watched, address).whenComplete((healthy, e) -> control.execute(() -> {
            if (gen != generation) {
                return;     // another target is watched now
            }
            boolean passed = Boolean.TRUE.equals(healthy);
            healthyAtNanos = passed ? ticker.nanos() : NEVER;
            // a target that went away (a stopped version) is asked once a second, not every interval
            control.schedule(() -> {
                if (gen == generation) {
                    probe(gen);
                }
            }, passed ? intervalNanos : Math.max(intervalNanos, COLD_INTERVAL_NANOS), TimeUnit.NANOSECONDS);
        }));
    }
}
