package io.cutover.proxy;

/**
 * Where {@link Routing} sends one request: a {@link Backend} (the request is counted in there),
 * {@link Maintenance} (answered by the proxy itself, the app not reached), a {@link Pause}
 * (held until it ends), or {@link NotFound} (no app takes its host and path).
 */
public sealed interface Route permits Backend, Maintenance, Pause, NotFound {
}
