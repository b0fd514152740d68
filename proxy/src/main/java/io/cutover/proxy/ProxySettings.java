package io.cutover.proxy;

import java.time.Duration;

/**
 * How the proxy treats connections on both sides.
 *
 * @param connectTimeout      how long connecting to a backend may take (then 504)
 * @param responseTimeout     how long a backend may take to start its response once it has the
 *                            request, measured from the last request byte it accepted (then 504)
 * @param clientIdleTimeout   how long an idle client keep-alive connection is kept open
 * @param backendIdleTimeout  how long an idle pooled backend connection is kept open
 * @param maxIdlePerLoop      idle backend connections kept per event loop and backend (0: none);
 *                            {@link Integer#MAX_VALUE}: as many as the load has needed (idle ones
 *                            close after the backend idle timeout)
 * @param maxHeaderSize       bytes allowed for a request or response header section
 * @param maxInitialLineLength bytes allowed for a request or status line
 * @param trustedProxies      whose X-Forwarded-* headers are kept (extended) rather than replaced
 * @param requestHeadTimeout  how long a request head may take to arrive once it has begun (then 408)
 * @param maxBodySize         largest request body in bytes (then 413); 0: no limit
 * @param proxyProtocol       every client connection starts with a PROXY protocol (v1 or v2) header
 * @param requestBodyIdleTimeout how long a client may send no byte of a request body that is under
 *                            way, while the backend could take it (then 408 and close); also the
 *                            grace before {@code minBodyRate} applies
 * @param minBodyRate         bytes per second a request body must average once its first
 *                            {@code requestBodyIdleTimeout} has passed (then 408 and close); 0: off
 */
public record ProxySettings(
        Duration connectTimeout,
        Duration responseTimeout,
        Duration clientIdleTimeout,
        Duration backendIdleTimeout,
        int maxIdlePerLoop,
        int maxHeaderSize,
        int maxInitialLineLength,
        TrustedProxies trustedProxies,
        Duration requestHeadTimeout,
        long maxBodySize,
        boolean proxyProtocol,
        Duration requestBodyIdleTimeout,
        long minBodyRate) {

    /** The default body idle timeout (and grace before the minimum rate). */
    public static final Duration BODY_IDLE = Duration.ofSeconds(20);
    /** The default minimum body rate, bytes per second. */
    public static final long MIN_BODY_RATE = 1024;

    public ProxySettings {
        if (requestBodyIdleTimeout == null || requestBodyIdleTimeout.isNegative() || requestBodyIdleTimeout.isZero()) {
            throw new IllegalArgumentException("the request body idle timeout must be more than zero");
        }
        if (minBodyRate < 0) {
            throw new IllegalArgumentException("the minimum body rate must be 0 (off) or more");
        }
    }

    public static ProxySettings defaults() {
        return new ProxySettings(
                Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofSeconds(75),
                Duration.ofSeconds(30), Integer.MAX_VALUE, 16 * 1024, 8 * 1024, TrustedProxies.NONE, Duration.ofSeconds(10), 0, false,
                BODY_IDLE, MIN_BODY_RATE);
    }

    /** The same settings with another request body idle timeout and minimum body rate (bytes/s, 0: off). */
    public ProxySettings withBodyTimeouts(Duration bodyIdle, long minRate) {
        return new ProxySettings(connectTimeout, responseTimeout, clientIdleTimeout, backendIdleTimeout,
                maxIdlePerLoop, maxHeaderSize, maxInitialLineLength, trustedProxies, requestHeadTimeout, maxBodySize,
                proxyProtocol, bodyIdle, minRate);
    }

    public ProxySettings withResponseTimeout(Duration timeout) {
        return new ProxySettings(connectTimeout, timeout, clientIdleTimeout, backendIdleTimeout,
                maxIdlePerLoop, maxHeaderSize, maxInitialLineLength, trustedProxies, requestHeadTimeout, maxBodySize,
                proxyProtocol, requestBodyIdleTimeout, minBodyRate);
    }

    public ProxySettings withBackendIdleTimeout(Duration timeout) {
        return new ProxySettings(connectTimeout, responseTimeout, clientIdleTimeout, timeout,
                maxIdlePerLoop, maxHeaderSize, maxInitialLineLength, trustedProxies, requestHeadTimeout, maxBodySize,
                proxyProtocol, requestBodyIdleTimeout, minBodyRate);
    }

    public ProxySettings withRequestLimits(Duration headTimeout, long bodySize) {
        return new ProxySettings(connectTimeout, responseTimeout, clientIdleTimeout, backendIdleTimeout,
                maxIdlePerLoop, maxHeaderSize, maxInitialLineLength, trustedProxies, headTimeout, bodySize,
                proxyProtocol, requestBodyIdleTimeout, minBodyRate);
    }

    public ProxySettings withProxyProtocol(boolean enabled) {
        return new ProxySettings(connectTimeout, responseTimeout, clientIdleTimeout, backendIdleTimeout,
                maxIdlePerLoop, maxHeaderSize, maxInitialLineLength, trustedProxies, requestHeadTimeout, maxBodySize,
                enabled, requestBodyIdleTimeout, minBodyRate);
    }

    public ProxySettings withTrustedProxies(TrustedProxies trusted) {
        return new ProxySettings(connectTimeout, responseTimeout, clientIdleTimeout, backendIdleTimeout,
                maxIdlePerLoop, maxHeaderSize, maxInitialLineLength, trusted, requestHeadTimeout, maxBodySize,
                proxyProtocol, requestBodyIdleTimeout, minBodyRate);
    }

    public ProxySettings withClientIdleTimeout(Duration timeout) {
        return new ProxySettings(connectTimeout, responseTimeout, timeout, backendIdleTimeout,
                maxIdlePerLoop, maxHeaderSize, maxInitialLineLength, trustedProxies, requestHeadTimeout, maxBodySize,
                proxyProtocol, requestBodyIdleTimeout, minBodyRate);
    }
}
