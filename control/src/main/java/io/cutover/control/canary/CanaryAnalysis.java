package io.cutover.control.canary;

import io.cutover.control.canary.Window.Figures;
import io.cutover.control.canary.Window.Verdict;
import io.cutover.control.config.CanarySettings;
import io.cutover.proxy.RequestStats;
import java.util.Locale;

/**
 * Judges a canary on all its evidence so far: the canary's requests since it started, against the
 * stable version's over the same time (the caller pools the windows), after every window.
 *
 * <p><b>Errors: Wald's sequential probability ratio test</b> on the canary's error proportion
 * (errors as the proxy counts them: 5xx and its own failures; clients that left or sent their body
 * too slowly are not counted at all, see {@code RequestStats}).
 * With the stable version's error rate {@code s} estimated as {@code (errors + 0.5) / (requests + 1)}
 * (a Jeffreys estimate: a stable version with few requests is not taken to be flawless), the
 * test weighs
 * <ul>
 *   <li>H0, "no worse": the canary fails at {@code p0 = max(s + error-points/100, error-ratio * s)}
 *       (at most 89%), against</li>
 *   <li>H1, "clearly worse": it fails at {@code p1 = p0 + }{@value #WORSE_BY_POINTS} percentage points.</li>
 * </ul>
 * The log-likelihood ratio of the canary's {@code e} errors in {@code n} requests is
 * {@code e ln(p1/p0) + (n - e) ln((1-p1)/(1-p0))}: with {@code p0} near 1%, each error adds
 * about 2.3 and each success takes away about 0.1. At {@link #ABORT_BOUND} ({@code ln 30}, about
 * 3.4) the canary is {@link Verdict#ABORTED} at once; at or below {@link #PASS_BOUND}
 * ({@code ln 0.1}, about -2.3) its errors pass; in between the test goes on with the next window.
 * The evidence is never reset, so the test may be looked at after every window: for a canary
 * failing no more often than {@code p0}, the chance that the ratio ever reaches the abort bound is
 * at most 1/30 (Ville's inequality, for a fixed {@code p0}; here {@code p0} follows the stable
 * version's figures, so the simulation is the check), and a canary failing as often as the stable
 * version is aborted far more rarely (CanaryAnalysisSimulationTest measures it: under 1% at stable
 * rates of 0.5-2%). The price of never resetting: a canary that turns bad after a long clean run
 * (at a higher share, say) must first outweigh that run. Against a busy stable version with no errors, two errors in the canary's first 14
 * requests, or three in its first 37, abort it; 22 requests without an error pass its errors.
 * {@code min-errors} is not used: the test decides how many errors are enough.
 *
 * <p><b>Latency</b> (unchanged rule, on the pooled figures): the canary fails a window when its
 * p99 exceeds {@code latency-ratio} times the stable's and {@code latency-floor} (below which
 * loopback noise would decide), judged once the canary has {@code min-requests} requests and the
 * stable version has any; latency failures count towards {@code failure-limit}. Until there are
 * enough requests for latency, a window whose errors passed is inconclusive.
 */
public final class CanaryAnalysis {
    /** The log-likelihood ratio at which the canary is aborted: ln 30. */
    public static final double ABORT_BOUND = Math.log(30);
    /** The log-likelihood ratio at or below which the canary's errors pass: ln 0.1. */
    public static final double PASS_BOUND = Math.log(0.1);
    /** How much worse than H0's rate "clearly worse" (H1) is, in percentage points. */
    public static final double WORSE_BY_POINTS = 10;

    private final CanarySettings settings;

    public CanaryAnalysis(CanarySettings settings) {
        this.settings = settings;
    }

    /** What the error test concluded: the ratio, the two rates it weighed, and the verdict's words. */
    public record ErrorTest(double logLikelihoodRatio, double noWorse, double clearlyWorse, String why) {
        public boolean abort() {
            return logLikelihoodRatio >= ABORT_BOUND;
        }

        public boolean pass() {
            return logLikelihoodRatio <= PASS_BOUND;
        }
    }

    /** The error test on pooled counts: the canary's errors in its requests, the stable's in its own. */
    public ErrorTest errorTest(long canaryErrors, long canaryRequests, long stableErrors, long stableRequests) {
        double s = (stableErrors + 0.5) / (stableRequests + 1);
        double p0 = Math.min(Math.max(s + settings.errorPoints() / 100, settings.errorRatio() * s), 0.89);
        double p1 = p0 + WORSE_BY_POINTS / 100;
        double llr = canaryErrors * Math.log(p1 / p0)
                + (canaryRequests - canaryErrors) * Math.log((1 - p1) / (1 - p0));
        String figures = String.format(Locale.ROOT, "errors %d/%d vs stable %d/%d: log-likelihood ratio %.1f",
                canaryErrors, canaryRequests, stableErrors, stableRequests, llr);
        String rates = String.format(Locale.ROOT, " (no worse: %.1f%%, clearly worse: %.1f%%)", p0 * 100, p1 * 100);
        String why;
        if (llr >= ABORT_BOUND) {
            why = figures + String.format(Locale.ROOT, " reached the abort bound %.1f", ABORT_BOUND) + rates;
        } else if (llr <= PASS_BOUND) {
            why = figures + String.format(Locale.ROOT, " reached the pass bound %.1f", PASS_BOUND) + rates;
        } else {
            why = figures + String.format(Locale.ROOT, ", between the pass bound %.1f and the abort bound %.1f",
                    PASS_BOUND, ABORT_BOUND) + rates;
        }
        return new ErrorTest(llr, p0, p1, why);
    }

    /**
     * Judges the canary on its figures since it started and the stable version's over the same
     * time (the windows so far, pooled).
     */
    public Window judge(int share, RequestStats.Snapshot stablePooled, RequestStats.Snapshot canaryPooled) {
        Figures stable = Figures.of(stablePooled);
        Figures canary = Figures.of(canaryPooled);
        ErrorTest errors = errorTest(canary.errors(), canary.requests(), stable.errors(), stable.requests());
        if (errors.abort()) {
            return new Window(share, Verdict.ABORTED, errors.why(), stable, canary);
        }
        if (canary.requests() < settings.minRequests()) {
            return new Window(share, Verdict.INCONCLUSIVE, errors.why() + "; latency not judged yet: the canary had "
                    + canary.requests() + " requests, fewer than " + settings.minRequests(), stable, canary);
        }
        long latencyLimit = Math.max((long) (settings.latencyRatio() * stable.p99Micros()),
                settings.latencyFloor().toNanos() / 1000);
        if (stable.requests() > 0 && canary.p99Micros() > latencyLimit) {
            return new Window(share, Verdict.FAILED, "p99 " + Window.millis(canary.p99Micros()) + " is above "
                    + Window.millis(latencyLimit) + " (stable " + Window.millis(stable.p99Micros()) + "); "
                    + errors.why(), stable, canary);
        }
        if (!errors.pass()) {
            return new Window(share, Verdict.INCONCLUSIVE, errors.why(), stable, canary);
        }
        return new Window(share, Verdict.PASSED, errors.why() + "; p99 within limits", stable, canary);
    }
}
