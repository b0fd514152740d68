package io.cutover.control.canary;

import io.cutover.control.canary.Window.Figures;
import io.cutover.control.canary.Window.Verdict;
import io.cutover.control.config.CanarySettings;
import io.cutover.proxy.RequestStats;
import java.util.Locale;

/**
 * Judges a canary window by window on all its evidence so far, against the stable version over
 * the same time. One analysis follows one canary: {@link #next} takes each window's figures and
 * carries the evidence on ({@link #errorTest} is the same error test, once, on pooled counts).
 *
 * <p><b>Errors: Wald's sequential probability ratio test</b> on the canary's error proportion
 * (errors as the proxy counts them: 5xx and its own failures; clients that left or sent their body
 * too slowly are not counted at all, see {@code RequestStats}).
 * With the stable version's error rate {@code s} estimated on all its requests since the canary
 * started as {@code (errors + 0.5) / (requests + 1)} (a Jeffreys estimate: a stable version with
 * few requests is not taken to be flawless), the test weighs
 * <ul>
 *   <li>H0, "no worse": the canary fails at {@code p0 = max(s + error-points/100, error-ratio * s)}
 *       (at most 89%), against</li>
 *   <li>H1, "clearly worse": it fails at {@code p1 = p0 + }{@value #WORSE_BY_POINTS} percentage points.</li>
 * </ul>
 * Each canary request adds to the log-likelihood ratio: an error {@code ln(p1/p0)}, a success
 * {@code ln((1-p1)/(1-p0))}; with {@code p0} near 1%, an error adds about 2.3 and a success takes
 * away about 0.1. At {@link #ABORT_BOUND} ({@code ln 30}, about 3.4) the canary is
 * {@link Verdict#ABORTED} at once; at {@link #PASS_BOUND} ({@code ln 0.1}, about -2.3) its errors
 * pass; in between the test goes on with the next window.
 *
 * <p><b>The evidence is carried, and never falls below the pass bound</b> (a repeated SPRT, as
 * in a CUSUM chart): once the errors have passed, a longer clean run proves nothing more, so a
 * canary that turns bad late (after a step up, say) is aborted as fast as one bad from the start:
 * against a clean stable version, three errors more than the clean requests since take away.
 * The ratio may be looked at after every window: for a canary failing no more often than
 * {@code p0}, the chance that it reaches the abort bound within a run of the test is at most
 * 1/30 (Ville's inequality, for a fixed {@code p0}); a canary failing as often as the stable
 * version is aborted far more rarely (CanaryAnalysisSimulationTest measures it: under 1% at
 * stable rates of 0.5-2%). Against a busy stable version with no errors, two errors in the
 * canary's first 14 requests, or three in its first 37, abort it; 22 requests without an error
 * pass its errors. {@code min-errors} is not used: the test decides how many errors are enough.
 *
 * <p><b>Latency: the same test on how often the canary is slower than the stable's p99.</b> The
 * limit is the stable version's p99 since the canary started (from its histogram), or
 * {@code latency-floor} if that is more (below the floor, loopback noise would decide: requests
 * faster than it never count against the canary). A canary request counts as slow when it took at
 * least the limit (as far as the histogram's buckets, about a quarter apart, tell); the stable
 * version's own requests are slow at most 1% of the time. The test weighs the canary being slow at
 * {@code q0 = 1% x latency-ratio} ("no worse") against {@code q1 = }{@value #SLOWER_TIMES}{@code  x q0}
 * ("clearly slower"), with the same bounds and the same floor under the evidence. It decides only
 * once <b>both versions have at least {@code min-requests} requests</b> since the canary started;
 * until then latency is "not judged yet" and the window cannot pass. A window whose latency
 * evidence is at the abort bound {@link Verdict#FAILED fails}; {@code failure-limit} failed
 * windows in a row abort the canary. A canary twice as slow is slow 3-20% of the time (by the
 * spread of its latency), far above {@code q0}; one with the stable's latency at most about 1%.
 *
 * <p>A window passes when the errors have passed and the latency test has passed; otherwise it
 * is inconclusive (the share is held).
 */
public final class CanaryAnalysis {
    /** The log-likelihood ratio at which the canary is aborted: ln 30. */
    public static final double ABORT_BOUND = Math.log(30);
    /** The log-likelihood ratio at or below which the canary's errors pass: ln 0.1. */
    public static final double PASS_BOUND = Math.log(0.1);
    /** How much worse than H0's rate "clearly worse" (H1) is, in percentage points. */
    public static final double WORSE_BY_POINTS = 10;
    /** How many times more often than "no worse" a "clearly slower" canary is slower than the stable's p99. */
    public static final double SLOWER_TIMES = 2;

    private final CanarySettings settings;
    private RequestStats.Snapshot stable = RequestStats.Snapshot.EMPTY;
    private RequestStats.Snapshot canary = RequestStats.Snapshot.EMPTY;
    private final Evidence errorEvidence = new Evidence();
    private final Evidence latencyEvidence = new Evidence();
    private long canarySlow;
    private long stableSlow;

    public CanaryAnalysis(CanarySettings settings) {
        this.settings = settings;
    }

    /**
     * A sequential test's log-likelihood ratio, carried from one batch of observations to the
     * next and never below {@link #PASS_BOUND} (where a test has passed: more good evidence is not
     * banked against later bad evidence).
     */
    public static final class Evidence {
        private double llr;

        /**
         * Adds {@code hits} (errors, slow requests) in {@code n} observations, weighed at rate
         * {@code p0} ("no worse") against {@code p1} ("clearly worse").
         *
         * @return the ratio now
         */
        public double add(long hits, long n, double p0, double p1) {
            llr = Math.max(PASS_BOUND, llr + hits * Math.log(p1 / p0) + (n - hits) * Math.log((1 - p1) / (1 - p0)));
            return llr;
        }

        public double logLikelihoodRatio() {
            return llr;
        }
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

    /** "No worse" for the canary's error rate, from the stable version's counts. */
    private double noWorse(long stableErrors, long stableRequests) {
        double s = (stableErrors + 0.5) / (stableRequests + 1);
        return Math.min(Math.max(s + settings.errorPoints() / 100, settings.errorRatio() * s), 0.89);
    }

    /**
     * The error test once, on pooled counts: the canary's errors in its requests, the stable's in
     * its own (the ratio of all of them together, not carried, not floored).
     */
    public ErrorTest errorTest(long canaryErrors, long canaryRequests, long stableErrors, long stableRequests) {
        return errorTest(canaryErrors, canaryRequests, stableErrors, stableRequests, "stable");
    }

    /**
     * As {@link #errorTest(long, long, long, long)}, the other side named {@code against} in the
     * verdict's words ("before the flip" for a bake, "live" for a shadow).
     */
    public ErrorTest errorTest(long canaryErrors, long canaryRequests, long stableErrors, long stableRequests,
                               String against) {
        double p0 = noWorse(stableErrors, stableRequests);
        double p1 = p0 + WORSE_BY_POINTS / 100;
        double llr = canaryErrors * Math.log(p1 / p0)
                + (canaryRequests - canaryErrors) * Math.log((1 - p1) / (1 - p0));
        return describe(canaryErrors, canaryRequests, stableErrors, stableRequests, llr, p0, p1, against);
    }

    private static ErrorTest describe(long canaryErrors, long canaryRequests, long stableErrors, long stableRequests,
                                      double llr, double p0, double p1, String against) {
        String figures = String.format(Locale.ROOT, "errors %d/%d vs %s %d/%d: log-likelihood ratio %.1f",
                canaryErrors, canaryRequests, against, stableErrors, stableRequests, llr);
        String rates = String.format(Locale.ROOT, " (no worse: %.1f%%, clearly worse: %.1f%%)", p0 * 100, p1 * 100);
        return new ErrorTest(llr, p0, p1, figures + bounds(llr) + rates);
    }

    private static String bounds(double llr) {
        if (llr >= ABORT_BOUND) {
            return String.format(Locale.ROOT, " reached the abort bound %.1f", ABORT_BOUND);
        } else if (llr <= PASS_BOUND) {
            return String.format(Locale.ROOT, " reached the pass bound %.1f", PASS_BOUND);
        }
        return String.format(Locale.ROOT, ", between the pass bound %.1f and the abort bound %.1f", PASS_BOUND,
                ABORT_BOUND);
    }

    /**
     * Judges the canary after one more window: {@code stableWindow} and {@code canaryWindow} are
     * what each version did in it (differences of snapshots); the verdict is on everything since
     * the canary started.
     */
    public Window next(int share, RequestStats.Snapshot stableWindow, RequestStats.Snapshot canaryWindow) {
        stable = CanaryRelease.plus(stable, stableWindow);
        canary = CanaryRelease.plus(canary, canaryWindow);
        Figures stableFigures = Figures.of(stable);
        Figures canaryFigures = Figures.of(canary);

        double p0 = noWorse(stable.errors(), stable.requests());
        double p1 = p0 + WORSE_BY_POINTS / 100;
        double llr = errorEvidence.add(canaryWindow.errors(), canaryWindow.requests(), p0, p1);
        ErrorTest errors = describe(canary.errors(), canary.requests(), stable.errors(), stable.requests(), llr, p0, p1,
                "stable");
        if (errors.abort()) {
            return new Window(share, Verdict.ABORTED, errors.why(), stableFigures, canaryFigures);
        }

        long p99 = stable.quantileMicros(0.99);
        long floor = settings.latencyFloor().toNanos() / 1000;
        long limit = Math.max(p99, floor);
        long slow = canaryWindow.atLeast(limit);
        canarySlow += slow;
        stableSlow += stableWindow.atLeast(limit);
        double q0 = Math.min(0.01 * settings.latencyRatio(), 0.3);
        double q1 = SLOWER_TIMES * q0;
        double latencyLlr = latencyEvidence.add(slow, canaryWindow.requests(), q0, q1);
        String latency = String.format(Locale.ROOT, "latency: %d/%d canary requests at least %s (%s) vs stable %d/%d:"
                        + " log-likelihood ratio %.1f", canarySlow, canary.requests(), Window.millis(limit),
                limit > p99 ? "the latency floor, above the stable's p99 " + Window.millis(p99) : "the stable's p99",
                stableSlow, stable.requests(), latencyLlr);
        String slowRates = String.format(Locale.ROOT, " (no worse: %.1f%%, clearly slower: %.1f%%)", q0 * 100, q1 * 100);
        long fewer = Math.min(canary.requests(), stable.requests());
        if (fewer < settings.minRequests()) {
            return new Window(share, Verdict.INCONCLUSIVE, errors.why() + "; " + latency + ", not judged yet: the canary"
                    + " had " + canary.requests() + " requests and the stable " + stable.requests() + ", fewer than "
                    + settings.minRequests() + " a side", stableFigures, canaryFigures);
        }
        String why = errors.why() + "; " + latency + bounds(latencyLlr) + slowRates;
        if (latencyLlr >= ABORT_BOUND) {
            return new Window(share, Verdict.FAILED, why, stableFigures, canaryFigures);
        }
        if (errors.pass() && latencyLlr <= PASS_BOUND) {
            return new Window(share, Verdict.PASSED, why, stableFigures, canaryFigures);
        }
        return new Window(share, Verdict.INCONCLUSIVE, why, stableFigures, canaryFigures);
    }
}
