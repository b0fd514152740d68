package io.cutover.control.health;

import io.cutover.proxy.Target;
import io.cutover.proxy.Ticker;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Keeps probing the health of the targets traffic was switched away from most recently (the
 * rollback target first, then up to {@link #KEPT} in all), every health interval, as a load
 * balancer checks its servers. A switch to one of them while its last probe passed less than two
 * intervals ago flips at once, with no probe of its own: a rollback, or a switch among a few
 * running versions, takes no health-gate round trip. A probe that fails makes a target cold
 * again, so a version that went away is probed as any target. A target traffic goes to again is
 * no longer watched (the proxy's own requests tell about it), nor is one pushed out by newer ones.
 *
 * <p>Probes run on the control loop, never blocking; what they found may be read from anywhere.
 */
public final class RecentTargetsWatch {
    /** How many targets left are kept watched, the most recent first. */
    public static final int KEPT = 3;
    private static final long NEVER = Long.MIN_VALUE;
    private static final long COLD_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** One target watched: read from any thread, changed on the control loop. */
    private static final class Watched {
        final Target target;
        final InetSocketAddress address;
        volatile long healthyAtNanos = NEVER;
        /** False once it is no longer watched: its probes stop. */
        boolean live = true;

        Watched(Target target, InetSocketAddress address) {
            this.target = target;
            this.address = address;
        }
    }

    private HealthCheck health;
    private final EventLoop control;
    private final Ticker ticker;
    private volatile long intervalNanos;
    /** The most recent first; copied on change (a few entries), read from any thread. */
    private final List<Watched> watched = new CopyOnWriteArrayList<>();

    public RecentTargetsWatch(HealthCheck health, EventLoop control, Duration interval, Ticker ticker) {
        this.health = health;
        this.control = control;
        this.ticker = ticker;
        this.intervalNanos = interval.toNanos();
    }

    /**
     * Traffic left {@code target}: it is watched from now on as the most recent (probed at once),
     * and the oldest beyond {@link #KEPT} is no longer watched.
     */
    public void watch(Target target, InetSocketAddress resolved) {
        assert control.inEventLoop();
        drop(target);
        Watched w = new Watched(target, resolved);
        watched.add(0, w);
        while (watched.size() > KEPT) {
            watched.remove(watched.size() - 1).live = false;
        }
        probe(w);
    }

    /** Traffic goes to {@code target} again: it is no longer watched. */
    public void unwatch(Target target) {
        assert control.inEventLoop();
        drop(target);
    }

    /**
     * {@code target} was stopped (by a deploy, or the reaper): it is cold until a probe passes
     * again, so a switch to it waits for its own probe (and is refused if it is gone).
     */
    public void forget(Target target) {
        assert control.inEventLoop();
        Watched w = find(target);
        if (w != null) {
            // a fresh entry in its place: a probe still under way, which may have passed just
            // before the version stopped, reports to the old one and changes nothing
            w.live = false;
            Watched cold = new Watched(w.target, w.address);
            watched.set(watched.indexOf(w), cold);
            probeLater(cold, false);
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
        for (Watched w : watched) {
            w.live = false;
        }
        watched.clear();
    }

    /** Whether {@code target} is watched and passed a probe within the last two intervals (from any thread). */
    public boolean warm(Target target) {
        return warm(target, null);
    }

    /**
     * As {@link #warm(Target)}, and probed at {@code address} (null: wherever it was): a host name
     * that resolves elsewhere now is a target never probed.
     */
    public boolean warm(Target target, InetSocketAddress address) {
        Watched w = find(target);
        if (w == null || address != null && !address.equals(w.address)) {
            return false;
        }
        long at = w.healthyAtNanos;
        return at != NEVER && ticker.nanos() - at <= 2 * intervalNanos;
    }

    /** The targets watched now, the most recent first. */
    public List<Target> watched() {
        List<Target> out = new ArrayList<>();
        for (Watched w : watched) {
            out.add(w.target);
        }
        return out;
    }

    private Watched find(Target target) {
        for (Watched w : watched) {
            if (w.target.equals(target)) {
                return w;
            }
        }
        return null;
    }

    private void drop(Target target) {
        Watched w = find(target);
        if (w != null) {
            w.live = false;
            watched.remove(w);
        }
    }

    private void probe(Watched w) {
        health.probeOnce(w.target, w.address).whenComplete((healthy, e) -> control.execute(() -> {
            if (!w.live) {
                return;     // no longer watched
            }
            boolean passed = Boolean.TRUE.equals(healthy);
            w.healthyAtNanos = passed ? ticker.nanos() : NEVER;
            probeLater(w, passed);
        }));
    }

    /**
     * Probes {@code w} again after an interval while it is watched; a target that is not up (a
     * stopped version) is asked once a second, not every interval.
     */
    private void probeLater(Watched w, boolean up) {
        control.schedule(() -> {
            if (w.live) {
                probe(w);
            }
        }, up ? intervalNanos : Math.max(intervalNanos, COLD_INTERVAL_NANOS), TimeUnit.NANOSECONDS);
    }
}
