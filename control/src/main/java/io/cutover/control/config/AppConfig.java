package io.cutover.control.config;

import io.cutover.proxy.AppRule;
import io.cutover.proxy.Target;
import java.time.Duration;
import java.util.Optional;

/**
 * One app cutover serves: which requests it takes, where they go at start-up, how a new version
 * is checked and drained, and (when cutover runs its versions) how it deploys.
 */
public record AppConfig(String name, AppRule rule, Optional<Target> target, HealthSettings health,
                        Duration drainDeadline, Optional<AppSettings> deploy, CanarySettings canary,
                        ShadowSettings shadow) {
}
