package io.cutover.proxy;

/**
 * Where {@link Routing} sends one request: a {@link Backend} (the request is counted in there),
 * or {@link Maintenance} (answered by the proxy itself, the app not reached).
 */
public sealed interface Route permits Backend, Maintenance {
}
