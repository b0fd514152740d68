package io.cutover.control.switching;

import io.cutover.proxy.AppRouter;
import io.cutover.proxy.Backend;
import io.cutover.proxy.Canary;
import io.cutover.proxy.DrainResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;

/**
 * The meters of one app's switches: switches and their health waits, drains and the requests
 * they completed or cut, requests in flight and connections to the active version. Registered
 * when the app's control starts, removed when it stops.
 */
public final class SwitchMetrics {
    private final String app;
    private final AppRouter router;
    private final Drains drains;
    private final MeterRegistry registry;
    private final List<Meter> meters;
    private final Counter switchCount;
    private final Timer healthWaits;
    private final Timer drainTimes;
    private final Counter drainedCompleted;
    private final Counter drainedForced;

    /** Registers the app's meters in {@code registry}; the gauges read {@code router} and {@code drains}. */
    public SwitchMetrics(String app, AppRouter router, Drains drains, MeterRegistry registry) {
        this.app = app;
        this.router = router;
        this.drains = drains;
        this.registry = registry;
        this.meters = List.of(
                Gauge.builder("cutover.requests.in.flight", this, SwitchMetrics::inFlight)
                        .description("Requests in flight, on the active backend, a canary, and those still draining")
                        .tag("app", app).register(registry),
                switchCount = Counter.builder("cutover.switches").description("Switches of traffic to another target")
                        .tag("app", app).register(registry),
                healthWaits = Timer.builder("cutover.health.wait")
                        .description("How long a switch waited for its new target to pass the health check")
                        .tag("app", app).register(registry),
                drainTimes = Timer.builder("cutover.drain")
                        .description("How long the old target took to finish its requests after a switch")
                        .tag("app", app).register(registry),
                drainedCompleted = drainedRequests("completed"),
                drainedForced = drainedRequests("forced"),
                Gauge.builder("cutover.backend.connections", this, x -> x.activeConnections(false))
                        .description("Connections to the app's active version: open (busy or idle), or idle in its pools")
                        .tags("app", app, "state", "open").register(registry),
                Gauge.builder("cutover.backend.connections", this, x -> x.activeConnections(true))
                        .description("Connections to the app's active version: open (busy or idle), or idle in its pools")
                        .tags("app", app, "state", "idle").register(registry));
    }

    private Counter drainedRequests(String outcome) {
        return Counter.builder("cutover.drain.requests")
                .description("Requests in flight on a target when traffic left it: completed, or cut at the drain deadline")
                .tags("app", app, "outcome", outcome).register(registry);
    }

    private int activeConnections(boolean idle) {
        Backend active = router.active();
        return active == null ? 0 : idle ? active.idleConnections() : active.openConnections();
    }

    /** Requests in flight on the active backend, a canary, and those still draining. */
    public int inFlight() {
        Backend active = router.active();
        Canary canary = router.canary();
        return (active == null ? 0 : active.inFlight()) + (canary == null ? 0 : canary.backend().inFlight())
                + drains.inFlight();
    }

    /** A switch (a flip or a canary's promotion) after a health gate of {@code healthWait}. */
    void switched(Duration healthWait) {
        switchCount.increment();
        healthWaits.record(healthWait);
    }

    /** A drain after a switch ended. */
    void drained(DrainResult result) {
        drainTimes.record(result.took());
        drainedCompleted.increment(result.completed());
        drainedForced.increment(result.forced());
    }

    /** Removes the app's meters (its control stops). */
    void remove() {
        meters.forEach(registry::remove);
    }
}
