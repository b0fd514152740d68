package io.cutover.proxy;

import io.cutover.proxy.http.RequestHead;

/**
 * Where each request goes: one lock-free decision per request, which also counts the request in
 * on the backend it picks ({@link Backend#tryEnter}). {@link Router} implements it with a routing
 * table of apps by host and path, each with its active version and, during a canary, a candidate.
 */
public interface Routing {
    /**
     * Where this request goes: a {@link Forward} to a backend (counted in there), an answer made here ({@link Maintenance},
     * {@link NotFound}), a {@link Pause}, or null when its app has no version yet.
     */
    Route route(RequestHead request, ClientAddress client);
}
