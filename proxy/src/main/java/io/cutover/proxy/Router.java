package io.cutover.proxy;

import io.cutover.proxy.http.RequestHead;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Where every request goes. The active backend is one atomic reference: a switch is a single
 * {@link #flip}, effective for the very next request, with no reload and no lock on the request
 * path. Routing is per request, so the next request on an existing keep-alive client connection
 * follows a switch too.
 */
public final class Router implements Routing {
    private final AtomicReference<Backend> active = new AtomicReference<>();

    /** The backend taking new requests now, or null before the first switch. */
    public Backend active() {
        return active.get();
    }

    /**
     * The switch. Every request routed after this returns goes to {@code next}; requests already
     * counted in on the previous backend finish there. Returns the previous backend (null if there
     * was none), which the caller drains.
     */
    public Backend flip(Backend next) {
        return active.getAndSet(next);
    }

    @Override
    public Backend route(RequestHead request) {
        return route();
    }

    /** Picks the backend for one request and counts the request in; null if there is none. */
    Backend route() {
        for (;;) {
            Backend b = active.get();
            if (b == null || b.tryEnter()) {
                return b;
            }
        }
    }
}
