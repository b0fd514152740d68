package io.cutover.control.switching;

import io.cutover.control.health.HealthCheck;
import io.cutover.proxy.Target;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * What a switch waits for before its flip: the new target passing its health check
 * ({@link HealthCheck#check} in production, a fake in unit tests).
 */
@FunctionalInterface
public interface HealthGate {
    /**
     * Checks without blocking.
     *
     * @param address the target, resolved
     * @return how long it took to pass; fails with {@link HealthCheck.UnhealthyException}
     */
    CompletableFuture<Duration> check(Target target, InetSocketAddress address);
}
