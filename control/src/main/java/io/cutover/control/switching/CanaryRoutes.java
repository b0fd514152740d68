package io.cutover.control.switching;

import io.cutover.control.switching.SwitchService.Flip;
import io.cutover.proxy.AppRouter;
import io.cutover.proxy.Backend;
import io.cutover.proxy.Canary;
import io.cutover.proxy.CanaryCookie;
import io.cutover.proxy.DrainResult;
import io.cutover.proxy.Target;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One app's canary in its routing: started at 0% beside the stable version, its share of new
 * requests set step by step, then promoted (a switch) or aborted (drained). A deploy calls it
 * under its hold of the app's {@link RoutingLock}; each change is one flip of the routing table.
 */
public final class CanaryRoutes {
    private static final Logger log = LoggerFactory.getLogger(CanaryRoutes.class);

    private final String app;
    private final AppRouter router;
    private final Switcher switcher;
    private final Drains drains;

    public CanaryRoutes(String app, AppRouter router, Switcher switcher, Drains drains) {
        this.app = app;
        this.router = router;
        this.switcher = switcher;
        this.drains = drains;
    }

    /** The stable version: the backend taking the requests the canary does not. */
    public Backend stable() {
        return router.active();
    }

    /**
     * Starts a canary at 0%: a backend for the candidate, whose health the caller has checked,
     * with a connection open on each loop (bounded). Requests on the allowlist go to it at once.
     * Call it from a thread that may block (a deploy's).
     *
     * @param cookieKey the app's key for signing its canary cookie ({@link CanaryCookie})
     */
    public Backend start(Target target, String version, List<Canary.Allow> allow, byte[] cookieKey) {
        Backend incoming = switcher.warmBackend(target, version);
        router.canary(new Canary(incoming, 0, allow, new CanaryCookie(app, cookieKey)));
        log.info("app={} canary {} ({}) started at 0%", app, target, version);
        return incoming;
    }

    /** The canary's share of new requests from now on, in percent (0-100). */
    public void share(int percent) {
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
    public Flip promote(Duration healthWait) {
        return switcher.promoted(router.promote(), healthWait);
    }

    /**
     * Aborts the canary: its share goes to 0 in one flip (every new request to the stable
     * version), and its requests in flight finish (drain, with the deadline).
     *
     * @return the canary's drain; completed with null if there was no canary
     */
    public CompletableFuture<DrainResult> abort() {
        Canary was = router.canary(null);
        if (was == null) {
            return CompletableFuture.completedFuture(null);
        }
        log.info("app={} canary {} aborted: every new request goes to the stable version", app, was.backend().target());
        return drains.drain(was.backend(), result -> { });
    }
}
