package io.cutover.control.canary;

import io.cutover.control.canary.Window.Figures;
import io.cutover.control.canary.Window.Verdict;
import io.cutover.control.config.CanarySettings;
import io.cutover.proxy.RequestStats;
import java.util.Locale;

/**
 * Judges a new version during its bake (after its flip): its requests since the flip against the
 * previous version's baseline, its requests in a window just before the flip. The previous version
 * takes no requests during the bake, so the baseline is fixed at the flip.
 *
 * <p>Errors: {@link CanaryAnalysis#errorTest} on the pooled counts (the new version's errors in
 * its requests since the flip, the baseline's errors in its requests), with the app's canary
 * thresholds; at its abort bound the verdict is {@link Verdict#ABORTED}: roll back at once.
 * Latency: {@link #latency}, the canary's test on the histograms, on the pooled counts; a
 * latency failure is {@link Verdict#FAILED}, and the caller rolls back after
 * {@code failure-limit} of them in a row. Otherwise the window {@link Verdict#PASSED} when the
 * error test passed and latency was judged within limits, else it is
 * {@link Verdict#INCONCLUSIVE}: a bake goes on either way until its time is up.
 */
public final class BakeAnalysis {
    private final CanarySettings settings;
    private final CanaryAnalysis errors;

    public BakeAnalysis(CanarySettings settings) {
        this.settings = settings;
        this.errors = new CanaryAnalysis(settings);
    }

    /** The latency check's conclusion: not judged yet, within limits, or worse (and why). */
    public record Latency(Result result, String why) {
        public enum Result { NOT_JUDGED, WITHIN, WORSE }
    }

    /** The verdict on the new version's figures since the flip ({@code now}) against the {@code baseline}'s. */
    public BakeWindow judge(long elapsedMs, RequestStats.Snapshot baseline, RequestStats.Snapshot now) {
        Figures before = Figures.of(baseline);
        Figures after = Figures.of(now);
        CanaryAnalysis.ErrorTest e = errors.errorTest(after.errors(), after.requests(), before.errors(),
                before.requests(), "before the flip");
        if (e.abort()) {
            return new BakeWindow(elapsedMs, Verdict.ABORTED, "errors worse than before the flip: " + e.why(), before,
                    after);
        }
        Latency l = latency(baseline, now);
        if (l.result() == Latency.Result.WORSE) {
            return new BakeWindow(elapsedMs, Verdict.FAILED, l.why() + "; " + e.why(), before, after);
        }
        if (l.result() == Latency.Result.NOT_JUDGED || !e.pass()) {
            return new BakeWindow(elapsedMs, Verdict.INCONCLUSIVE, e.why() + "; " + l.why(), before, after);
        }
        return new BakeWindow(elapsedMs, Verdict.PASSED, e.why() + "; " + l.why(), before, after);
    }

    /**
     * The latency check, the canary's test on the histograms ({@link CanaryAnalysis}): how many of
     * the new version's requests since the flip took at least the previous version's p99 before
     * it (or {@code latency-floor}, if more: below it a difference is noise), weighed by a
     * sequential probability ratio test on the pooled counts: "no worse" is {@code 1% x
     * latency-ratio} of them, "clearly slower" {@value CanaryAnalysis#SLOWER_TIMES} times that;
     * judged once both sides have {@code min-requests} requests.
     */
    Latency latency(RequestStats.Snapshot baseline, RequestStats.Snapshot now) {
        long need = settings.minRequests();
        if (now.requests() < need || baseline.requests() < need) {
            return new Latency(Latency.Result.NOT_JUDGED, "latency not judged: " + now.requests()
                    + " requests since the flip and " + baseline.requests() + " before it, fewer than " + need
                    + " a side");
        }
        long p99 = baseline.quantileMicros(0.99);
        long limit = Math.max(p99, settings.latencyFloor().toNanos() / 1000);
        long slow = now.atLeast(limit);
        double q0 = Math.min(0.01 * settings.latencyRatio(), 0.3);
        double q1 = CanaryAnalysis.SLOWER_TIMES * q0;
        double llr = slow * Math.log(q1 / q0) + (now.requests() - slow) * Math.log((1 - q1) / (1 - q0));
        String why = String.format(Locale.ROOT, "latency: %d/%d requests since the flip took at least %s (%s) vs %d/%d"
                        + " before it: log-likelihood ratio %.1f (no worse: %.1f%%, clearly slower: %.1f%%)", slow,
                now.requests(), Window.millis(limit), limit > p99 ? "the latency floor, above the p99 before the flip "
                        + Window.millis(p99) : "the p99 before the flip", baseline.atLeast(limit), baseline.requests(),
                llr, q0 * 100, q1 * 100);
        if (llr >= CanaryAnalysis.ABORT_BOUND) {
            return new Latency(Latency.Result.WORSE, why + " reached the abort bound");
        }
        if (llr <= CanaryAnalysis.PASS_BOUND) {
            return new Latency(Latency.Result.WITHIN, why + " reached the pass bound");
        }
        return new Latency(Latency.Result.NOT_JUDGED, why + ", between the bounds");
    }

    /** How many latency failures in a row roll the new version back. */
    public int failureLimit() {
        return settings.failureLimit();
    }
}
