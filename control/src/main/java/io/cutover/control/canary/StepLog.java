package io.cutover.control.canary;

import java.time.Duration;

/**
 * Where a canary release reports what it did, step by step (a deploy's timeline): a share set, a
 * window judged, the canary pulled back.
 */
@FunctionalInterface
public interface StepLog {
    /** One step: its name, a line on what happened, and how long the step itself took. */
    void step(String name, String detail, Duration took);
}
