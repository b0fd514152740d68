package io.cutover.proxy;

import io.cutover.proxy.http.RequestHead;

/**
 * Where each request goes: one lock-free decision per request, which also counts the request in
 * on the backend it picks ({@link Backend#tryEnter}). {@link Router} sends every request to one
 * active backend; a routing table (apps by Host, canary splits) implements the same.
 */
public interface Routing {
    /** Where this request goes: a backend (counted in), a {@link Maintenance} answer, or null if nowhere. */
    Route route(RequestHead request);
}
