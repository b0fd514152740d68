package io.cutover.control.canary;

import io.cutover.control.config.CanarySettings;
import io.cutover.control.canary.Window.Figures;
import io.cutover.control.canary.Window.Verdict;
import io.cutover.proxy.RequestStats;
import java.util.Locale;

/**
 * Judges one window, the canary against the stable version over the same interval. It fails
 * when the canary's error rate exceeds both {@code error-ratio} times the stable's and the
 * stable's plus {@code error-points} percentage points, with at least {@code min-errors} errors;
 * or when its p99 latency exceeds {@code latency-ratio} times the stable's and
 * {@code latency-floor} (below which loopback noise would decide). With fewer than
 * {@code min-requests} canary requests it is inconclusive.
 */
public final class CanaryAnalysis {
    private final CanarySettings settings;

    public CanaryAnalysis(CanarySettings settings) {
        this.settings = settings;
    }

    public Window judge(int share, RequestStats.Snapshot stableWindow, RequestStats.Snapshot canaryWindow) {
        Figures stable = Figures.of(stableWindow);
        Figures canary = Figures.of(canaryWindow);
        if (canary.requests() < settings.minRequests()) {
            return new Window(share, Verdict.INCONCLUSIVE, "the canary had " + canary.requests() + " requests, fewer than "
                    + settings.minRequests(), stable, canary);
        }
        double limit = Math.max(settings.errorRatio() * stable.errorRate(),
                stable.errorRate() + settings.errorPoints() / 100);
        if (canary.errors() >= settings.minErrors() && canary.errorRate() > limit) {
            return new Window(share, Verdict.FAILED, String.format(Locale.ROOT,
                    "error rate %.1f%% is above %.1f%% (stable %.1f%%)", canary.errorRate() * 100, limit * 100,
                    stable.errorRate() * 100), stable, canary);
        }
        long latencyLimit = Math.max((long) (settings.latencyRatio() * stable.p99Micros()),
                settings.latencyFloor().toNanos() / 1000);
        if (stable.requests() > 0 && canary.p99Micros() > latencyLimit) {
            return new Window(share, Verdict.FAILED, "p99 " + Window.millis(canary.p99Micros()) + " is above "
                    + Window.millis(latencyLimit) + " (stable " + Window.millis(stable.p99Micros()) + ")", stable, canary);
        }
        return new Window(share, Verdict.PASSED, "within limits", stable, canary);
    }
}
