package io.cutover.control.deploy;

import io.cutover.control.config.WarmUpSettings;
import io.cutover.control.warmup.Warming;
import io.cutover.proxy.Target;

/** What warms a new version up before it takes traffic (the app's {@code CandidateWarmUp}). */
@FunctionalInterface
public interface WarmUps {
    /** Starts warming {@code target} up as {@code plan} says (never off); may block (name resolution). */
    Warming start(Target target, WarmUpSettings plan);
}
