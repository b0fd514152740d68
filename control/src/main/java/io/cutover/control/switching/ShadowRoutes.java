package io.cutover.control.switching;

import io.cutover.proxy.AppRouter;
import io.cutover.proxy.Backend;
import io.cutover.proxy.ProxyServer;
import io.cutover.proxy.Shadow;
import io.cutover.proxy.ShadowStats;
import io.cutover.proxy.Target;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One app's shadow in its routing: a candidate that gets copies of a share of the active version's
 * GET and HEAD requests ({@link Shadow}), set and cleared in one flip of the routing table each.
 * Not a switch: every client is still answered by the active version. A deploy calls it under its
 * hold of the app's {@link RoutingLock}, from its own thread (it resolves and waits).
 */
public final class ShadowRoutes {
    private static final Logger log = LoggerFactory.getLogger(ShadowRoutes.class);
    /** How long copies under way when the shadow ends may take to finish before they are cut (and not compared). */
    private static final long FINISH_MILLIS = 1000;

    private final String app;
    private final AppRouter router;
    private final ProxyServer proxy;

    private final ReplicaSets replicas;

    public ShadowRoutes(String app, AppRouter router, ProxyServer proxy, ReplicaSets replicas) {
        this.replicas = replicas;
        this.app = app;
        this.router = router;
        this.proxy = proxy;
    }

    /**
     * Starts copying {@code percent}% of the active version's GET and HEAD requests to {@code target},
     * at most {@code maxInFlight} at once, each given the proxy's response timeout.
     */
    public Shadow start(Target target, String version, int percent, int maxInFlight) {
        Backend candidate = replicas.backend(proxy, app, target, target.resolve(), version);    // each replica gets copies
        Shadow s = new Shadow(candidate, percent * 100, maxInFlight, proxy.settings().responseTimeout());
        Shadow was = router.shadow(s);
        if (was != null) {
            was.candidate().discard();
        }
        log.info("app={} shadow {} ({}) gets copies of {}% of GET and HEAD requests", app, target, version, percent);
        return s;
    }

    /** The shadow now, or null. */
    public Shadow shadow() {
        return router.shadow();
    }

    /**
     * Ends the shadow: no request is copied from now on; copies under way get a moment to finish,
     * then its connections close.
     *
     * @return what its copies came to (null if there was no shadow)
     */
    public ShadowStats.Snapshot stop() {
        Shadow was = router.shadow(null);
        if (was == null) {
            return null;
        }
        long end = System.nanoTime() + FINISH_MILLIS * 1_000_000;     // a wait on the caller's thread (a deploy's)
        try {
            while (was.inFlight() > 0 && System.nanoTime() - end < 0) {
                Thread.sleep(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ShadowStats.Snapshot figures = was.stats().snapshot();   // before the cut: a copy cut here is not the candidate's failure
        was.candidate().discard();
        log.info("app={} shadow {} ended: {}", app, was.candidate().target(), figures.describe());
        return figures;
    }
}
