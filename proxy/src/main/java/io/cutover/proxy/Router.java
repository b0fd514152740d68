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
    /** Everything a request's route depends on, read at once: the active backend, maintenance, a pause. */
    private record Table(Backend active, Maintenance maintenance, Pause pause) {
    }

    private final AtomicReference<Table> table = new AtomicReference<>(new Table(null, null, null));

    /** The backend taking new requests now, or null before the first switch. */
    public Backend active() {
        return table.get().active();
    }

    /**
     * The switch. Every request routed after this returns goes to {@code next}; requests already
     * counted in on the previous backend finish there. Returns the previous backend (null if there
     * was none), which the caller drains.
     */
    public Backend flip(Backend next) {
        return table.getAndUpdate(t -> new Table(next, t.maintenance(), t.pause())).active();
    }

    /**
     * Turns maintenance on (every new request answered by {@code m}, the app not reached) or off
     * (null); requests already under way finish.
     */
    public void maintenance(Maintenance m) {
        table.getAndUpdate(t -> new Table(t.active(), m, t.pause()));
    }

    /** Maintenance now, or null. */
    public Maintenance maintenance() {
        return table.get().maintenance();
    }

    /**
     * Pauses (see {@link Pause}), or ends a pause (null) for requests routed from now on; {@link
     * ProxyServer#resume} also lets those held go on. Pausing again replaces the settings for
     * requests that come from then on.
     */
    void pause(Pause p) {
        table.getAndUpdate(t -> new Table(t.active(), t.maintenance(), p));
    }

    /** The pause now, or null. */
    public Pause pause() {
        return table.get().pause();
    }

    @Override
    public Route route(RequestHead request) {
        Table t = table.get();
        return t.maintenance() != null ? t.maintenance() : t.pause() != null ? t.pause() : route(t);
    }

    /** Picks the backend for one request and counts the request in; null if there is none. */
    Backend route() {
        return route(table.get());
    }

    private Backend route(Table t) {
        for (;;) {
            Backend b = t.active();
            if (b == null || b.tryEnter()) {
                return b;
            }
            t = table.get();     // a switch raced this request: route it again, to the new backend
        }
    }
}
