package io.cutover.proxy;

/**
 * Where {@link Routing} sends one request: a {@link Forward} to a backend (the request is counted in there),
 * {@link Maintenance} (answered by the proxy itself, the app not reached), a {@link Pause}
 * (held until it ends), {@link NotFound} (no app takes its host and path), or {@link LbHealth}
 * (the load balancer's check, answered by the proxy).
 */
public sealed interface Route permits Forward, Maintenance, Pause, NotFound, LbHealth {
}
