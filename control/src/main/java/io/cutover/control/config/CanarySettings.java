package io.cutover.control.config;

import io.cutover.proxy.Canary;
import java.time.Duration;
import java.util.List;

/**
 * How a canary release goes: the shares it steps through (percent; empty: no canary, a plain
 * switch), how long each window lasts, and when a window fails. See reference.conf.
 *
 * @param minRequests requests of each version (since the canary started) before latency is judged
 * @param errorRatio  "no worse" in the error test: at most the stable version's rate times this...
 * @param errorPoints ...or the stable's plus this many percentage points, whichever is more
 *                    (see {@code CanaryAnalysis})
 * @param minErrors   no longer used: the error test decides how many errors are enough (accepted, with
 *                    a warning, so older configs load)
 * @param onDeadline  what happens to a canary still inconclusive at the progress deadline
 */
public record CanarySettings(List<Integer> steps, Duration interval, long minRequests, int failureLimit,
                             Duration progressDeadline, double errorRatio, double errorPoints, long minErrors,
                             double latencyRatio, Duration latencyFloor, List<Canary.Allow> allow,
                             OnDeadline onDeadline) {

    /**
     * A canary still inconclusive at the progress deadline: HOLD keeps its share and waits for a
     * human ({@code cutover canary promote|abort}) while the analysis goes on; ABORT pulls it back.
     */
    public enum OnDeadline { HOLD, ABORT }

    public CanarySettings {
        steps = List.copyOf(steps);
        allow = List.copyOf(allow);
        java.util.Objects.requireNonNull(onDeadline, "onDeadline");
    }

    /** Settings that hold a canary still inconclusive at the progress deadline (the default). */
    public CanarySettings(List<Integer> steps, Duration interval, long minRequests, int failureLimit,
                          Duration progressDeadline, double errorRatio, double errorPoints, long minErrors,
                          double latencyRatio, Duration latencyFloor, List<Canary.Allow> allow) {
        this(steps, interval, minRequests, failureLimit, progressDeadline, errorRatio, errorPoints, minErrors,
                latencyRatio, latencyFloor, allow, OnDeadline.HOLD);
    }

    /** The same settings with other steps and interval (a deploy's own). */
    public CanarySettings with(List<Integer> steps, Duration interval) {
        return new CanarySettings(steps, interval, minRequests, failureLimit, progressDeadline, errorRatio, errorPoints,
                minErrors, latencyRatio, latencyFloor, allow, onDeadline);
    }

    /** The same settings with another choice at the progress deadline (a deploy's own). */
    public CanarySettings with(OnDeadline onDeadline) {
        return new CanarySettings(steps, interval, minRequests, failureLimit, progressDeadline, errorRatio, errorPoints,
                minErrors, latencyRatio, latencyFloor, allow, onDeadline);
    }

    /**
     * Checks a list of steps: each 1-100, growing, ending at 100.
     *
     * @return why not, or null when they are fine
     */
    public static String problemWith(List<Integer> steps) {
        if (steps.isEmpty()) {
            return null;
        }
        int last = 0;
        for (int s : steps) {
            if (s <= last || s > 100) {
                return "steps must grow, each from 1 to 100, got " + steps;
            }
            last = s;
        }
        return last == 100 ? null : "the last step must be 100 (promotion), got " + steps;
    }
}
