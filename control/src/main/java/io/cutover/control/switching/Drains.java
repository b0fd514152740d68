package io.cutover.control.switching;

import io.cutover.control.observe.Metrics;
import io.cutover.proxy.AppRoute;
import io.cutover.proxy.Backend;
import io.cutover.proxy.DrainResult;
import io.cutover.proxy.ProxyServer;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The backends traffic has left, finishing their requests in flight: each drains with the app's
 * deadline, its bookkeeping done on the control loop, and its request series leave the metrics a
 * while later (unless traffic went back to the same version).
 */
public final class Drains {
    private final String app;
    private final ProxyServer proxy;
    private final EventLoop control;
    private final Metrics metrics;
    private final Duration keepRetiredSeries;
    /** The app's drain deadline: a reload changes it in place (drains under way keep theirs). */
    private volatile Duration deadline;
    private final Set<Backend> draining = ConcurrentHashMap.newKeySet();

    /**
     * @param keepRetiredSeries how long the request series of a version traffic has left stay in
     *                          the metrics (so the last scrapes see their final counts)
     */
    public Drains(String app, ProxyServer proxy, EventLoop control, Metrics metrics, Duration deadline,
                  Duration keepRetiredSeries) {
        this.app = app;
        this.proxy = proxy;
        this.control = control;
        this.metrics = metrics;
        this.deadline = deadline;
        this.keepRetiredSeries = keepRetiredSeries;
    }

    /** The deadline of the drains that start from now on. */
    void deadline(Duration next) {
        deadline = next;
    }

    /**
     * Drains {@code old} in the background; then, on the control loop, {@code after} is told how
     * it went (null if it failed) and the result completes. A drain ends on whichever loop its
     * last request ended: the bookkeeping is not theirs to do.
     */
    CompletableFuture<DrainResult> drain(Backend old, Consumer<DrainResult> after) {
        draining.add(old);
        return old.drain(deadline, proxy.group().next()).whenCompleteAsync((result, error) -> {
            draining.remove(old);
            forgetLater(old);
            after.accept(result);
        }, control);
    }

    /** Drops a drained backend's request series after a while, unless traffic has gone back to the same version. */
    private void forgetLater(Backend old) {
        control.schedule(() -> {
            AppRoute entry = proxy.router().entry(app);
            Backend active = entry == null ? null : entry.active();
            boolean inUse = active != null && active.target().equals(old.target()) && active.version().equals(old.version())
                    || draining.stream().anyMatch(b -> b.target().equals(old.target()) && b.version().equals(old.version()));
            if (!inUse) {
                metrics.forget(app, old.target(), old.version());
            }
        }, keepRetiredSeries.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Requests still in flight on the backends draining. */
    int inFlight() {
        int n = 0;
        for (Backend b : draining) {
            n += b.inFlight();
        }
        return n;
    }

    /** Backends still finishing requests after being switched away from. */
    public List<Backend> draining() {
        return List.copyOf(draining);
    }
}
