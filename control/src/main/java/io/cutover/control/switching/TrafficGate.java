package io.cutover.control.switching;

import io.cutover.proxy.AppRouter;
import io.cutover.proxy.Maintenance;
import io.cutover.proxy.Pause;
import io.cutover.proxy.ProxyServer;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an operator holds one app's traffic with: maintenance (every new request answered 503 by
 * the proxy) and a pause (new requests held until resume). Each is one flip of the routing
 * table; requests under way finish.
 */
public final class TrafficGate {
    private static final Logger log = LoggerFactory.getLogger(TrafficGate.class);

    private final String app;
    private final ProxyServer proxy;
    private final AppRouter router;

    TrafficGate(String app, ProxyServer proxy, AppRouter router) {
        this.app = app;
        this.proxy = proxy;
        this.router = router;
    }

    /**
     * Turns maintenance on: from the next request on, every request is answered 503 with
     * {@code Retry-After} and {@code page} (null: a default page), or JSON to a client that asks
     * for it; requests under way finish.
     */
    public void maintenanceOn(String page, long retryAfterSeconds) {
        router.maintenance(Maintenance.of(page, retryAfterSeconds));
        log.info("app={} maintenance on: every request is answered 503, Retry-After {} s", app, retryAfterSeconds);
    }

    /** Turns maintenance off: requests reach the app again. */
    public void maintenanceOff() {
        if (router.maintenance() != null) {
            router.maintenance(null);
            log.info("app={} maintenance off", app);
        }
    }

    public boolean inMaintenance() {
        return router.maintenance() != null;
    }

    /**
     * Pauses traffic: new requests are held, each for at most {@code timeout} (then 503 with
     * Retry-After), at most {@code maxHeld} at once; requests under way finish.
     */
    public void pause(Duration timeout, int maxHeld) {
        proxy.pause(app, timeout, maxHeld);
        log.info("app={} paused: new requests are held for up to {} ms, at most {} at once", app, timeout.toMillis(),
                maxHeld);
    }

    /** Ends a pause: held requests go on. */
    public void resume() {
        if (router.pause() != null) {
            proxy.resume(app);
            log.info("app={} resumed", app);
        }
    }

    /** The pause now, or null. */
    public Pause paused() {
        return router.pause();
    }
}
