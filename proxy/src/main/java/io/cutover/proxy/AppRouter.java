package io.cutover.proxy;

/**
 * One app's part of the {@link Router}: each change here is one flip of the whole routing table,
 * so a request sees either the app before it or after it, never a mix.
 */
public final class AppRouter {
    private final Router router;
    private final String name;

    AppRouter(Router router, String name) {
        this.router = router;
        this.name = name;
    }

    public String name() {
        return name;
    }

    private AppRoute entry() {
        AppRoute r = router.entry(name);
        if (r == null) {
            throw new IllegalStateException("app " + name + " is no longer routed");
        }
        return r;
    }

    /** The backend taking the app's new requests (but a canary's share), or null before the first switch. */
    public Backend active() {
        return entry().active();
    }

    /**
     * The switch. Every request of this app routed after this returns goes to {@code next};
     * requests already counted in on the previous backend finish there. Returns the previous
     * backend (null if there was none), which the caller drains.
     */
    public Backend flip(Backend next) {
        return router.update(name, a -> a.withActive(next)).active();
    }

    /** The canary now, or null. */
    public Canary canary() {
        return entry().canary();
    }

    /** Starts a canary, changes its share, or (null) ends it; returns the one it replaced. */
    public Canary canary(Canary c) {
        return router.update(name, a -> a.withCanary(c)).canary();
    }

    /**
     * Promotes the canary: its backend takes every request and the canary ends, in one flip.
     * Returns the backend that was active (the caller drains it).
     *
     * @throws IllegalStateException with no canary
     */
    public Backend promote() {
        AppRoute was = router.update(name, a -> {
            if (a.canary() == null) {
                throw new IllegalStateException("app " + name + " has no canary");
            }
            return a.withActive(a.canary().backend()).withCanary(null);
        });
        return was.active();
    }

    /** The shadow now, or null. */
    public Shadow shadow() {
        return entry().shadow();
    }

    /**
     * Starts copying a share of the active version's GET and HEAD requests to a candidate
     * ({@code s}), or (null) stops; returns the shadow it replaced. Not a switch: every client
     * is still answered by the active version. Copies under way finish on their own.
     */
    public Shadow shadow(Shadow s) {
        return router.update(name, a -> a.withShadow(s)).shadow();
    }

    /** The sample of the app's recent GET targets (see {@link PathSample}). */
    public PathSample sample() {
        return entry().sample();
    }

    /** Turns maintenance on ({@code m}: every new request answered by it) or off (null). */
    public void maintenance(Maintenance m) {
        router.update(name, a -> a.withMaintenance(m));
    }

    public Maintenance maintenance() {
        return entry().maintenance();
    }

    /** Pauses (see {@link Pause}) or ends a pause (null); {@link ProxyServer#resume} lets those held go on. */
    void pause(Pause p) {
        router.update(name, a -> a.withPause(p));
    }

    public Pause pause() {
        return entry().pause();
    }
}
