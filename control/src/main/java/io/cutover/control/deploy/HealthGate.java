package io.cutover.control.deploy;

import io.cutover.control.health.HealthCheck.UnhealthyException;
import io.cutover.proxy.Target;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** The health gate a version passes before it takes requests (the app's {@code HealthCheck}). */
@FunctionalInterface
interface HealthGate {
    /**
     * Waits until {@code target} answers its health check.
     *
     * @param stopReason why the version stopped, if it did (then the wait ends at once)
     * @return how long it took
     */
    Duration await(Target target, Supplier<Optional<String>> stopReason) throws UnhealthyException, InterruptedException;
}
