package io.cutover.control.canary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.canary.Window.Verdict;
import io.cutover.control.config.CanarySettings;
import io.cutover.proxy.RequestStats;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A bake's verdict on given figures: the new version's since the flip, the previous version's before it. */
class BakeAnalysisTest {
    private final BakeAnalysis analysis = new BakeAnalysis(new CanarySettings(List.of(), Duration.ofSeconds(60),
            100, 2, Duration.ofMinutes(10), 1.5, 1.0, 5, 1.5, Duration.ofMillis(25), List.of()));

    /** {@code n} requests of about {@code micros} each, {@code errors} of them failed. */
    private static RequestStats.Snapshot figures(long n, long errors, long micros) {
        long[] buckets = new long[RequestStats.Snapshot.EMPTY.buckets().length];
        for (int i = 0; i < buckets.length; i++) {
            long[] one = new long[buckets.length];
            one[i] = 1;
            if (new RequestStats.Snapshot(one, 0).quantileMicros(1) > micros) {
                buckets[i] = n;
                return new RequestStats.Snapshot(buckets, errors);
            }
        }
        throw new IllegalArgumentException();
    }

    @Test
    void aNewVersionFailingAFifthOfItsRequestsIsToBeRolledBackAfterAFewOfThem() {
        BakeWindow w = analysis.judge(4_000, figures(900, 1, 2_000), figures(20, 4, 2_000));
        assertEquals(Verdict.ABORTED, w.verdict(), w.why());
        assertTrue(w.why().startsWith("errors worse than before the flip: errors 4/20 vs before the flip 1/900"), w.why());
        assertTrue(w.describe().startsWith("roll back after 4 s: "), w.describe());
        assertTrue(w.describe().contains("; new version 20 requests, 4 errors (20.0%)"), w.describe());
        assertTrue(w.describe().contains("; before the flip 900 requests, 1 errors (0.1%)"), w.describe());
    }

    @Test
    void aNewVersionFailingAsOftenAsThePreviousOnePassesOnceThereIsEnoughEvidence() {
        BakeWindow early = analysis.judge(1_000, figures(1_000, 10, 2_000), figures(15, 0, 2_000));
        assertEquals(Verdict.INCONCLUSIVE, early.verdict(), early.why());
        BakeWindow later = analysis.judge(30_000, figures(1_000, 10, 2_000), figures(1_000, 11, 2_000));
        assertEquals(Verdict.PASSED, later.verdict(), later.why());
    }

    @Test
    void aSlowerNewVersionFailsOnLatencyOnceBothSidesHaveEnoughRequests() {
        BakeWindow w = analysis.judge(10_000, figures(500, 0, 2_000), figures(500, 0, 80_000));
        assertEquals(Verdict.FAILED, w.verdict(), w.why());
        assertTrue(w.why().startsWith("latency: 500/500 requests since the flip took at least 25 ms (the latency floor,"
                + " above the p99 before the flip 2.0 ms) vs 0/500 before it"), w.why());
        assertEquals(2, analysis.failureLimit());
    }

    @Test
    void latencyIsNotJudgedUntilBothSidesHaveMinRequestsNorBelowTheFloor() {
        BakeWindow fewAfter = analysis.judge(1_000, figures(500, 0, 2_000), figures(99, 0, 80_000));
        assertEquals(Verdict.INCONCLUSIVE, fewAfter.verdict(), fewAfter.why());
        assertTrue(fewAfter.why().contains("latency not judged: 99 requests since the flip and 500 before it"),
                fewAfter.why());
        BakeWindow fewBefore = analysis.judge(1_000, figures(50, 0, 2_000), figures(500, 0, 80_000));
        assertEquals(Verdict.INCONCLUSIVE, fewBefore.verdict(), fewBefore.why());
        // 10x slower, but under the 25 ms floor: loopback noise, not a regression
        BakeWindow underFloor = analysis.judge(1_000, figures(500, 0, 1_000), figures(500, 0, 10_000));
        assertEquals(Verdict.PASSED, underFloor.verdict(), underFloor.why());
    }

    @Test
    void latencyIsJudgedOnceEachSideHasExactlyMinRequests() {
        BakeAnalysis.Latency l = analysis.latency(figures(100, 0, 2_000), figures(100, 0, 2_000));
        assertTrue(l.why().startsWith("latency: 0/100 requests since the flip took at least 25 ms"), l.why());
        assertEquals(BakeAnalysis.Latency.Result.NOT_JUDGED,
                analysis.latency(figures(99, 0, 2_000), figures(100, 0, 2_000)).result(), "99 before the flip");
        assertEquals(BakeAnalysis.Latency.Result.NOT_JUDGED,
                analysis.latency(figures(100, 0, 2_000), figures(99, 0, 2_000)).result(), "99 since the flip");
    }

    @Test
    void latencyWeighsTheRequestsAtLeastThePreviousP99AtOnePercentTimesTheRatioAgainstTwiceThat() {
        // the previous version: 99% at 40 ms, 1% at 160 ms, so its p99 (40 ms, above the floor) is the limit;
        // since the flip: 5 of 500 at 160 ms
        long[] before = figures(990, 0, 40_000).buckets();
        long[] slowBucket = figures(10, 0, 160_000).buckets();
        long[] after = figures(495, 0, 40_000).buckets();
        for (int i = 0; i < before.length; i++) {
            before[i] += slowBucket[i];
            after[i] += slowBucket[i] / 2;
        }
        BakeAnalysis.Latency l = analysis.latency(new RequestStats.Snapshot(before, 0),
                new RequestStats.Snapshot(after, 0));
        double llr = 5 * Math.log(2) + 495 * Math.log(0.97 / 0.985);
        assertTrue(l.why().startsWith(String.format(java.util.Locale.ROOT, "latency: 5/500 requests since the flip took"
                + " at least 40 ms (the p99 before the flip) vs 10/1000 before it: log-likelihood ratio %.1f (no worse:"
                + " 1.5%%, clearly slower: 3.0%%)", llr)), l.why());
        assertEquals(BakeAnalysis.Latency.Result.WITHIN, l.result(), l.why());
        assertTrue(l.why().endsWith(" reached the pass bound"), l.why());
    }

    @Test
    void latencyBetweenTheBoundsIsNotJudgedAndNoWorseIsAtMostThirtyPercent() {
        BakeAnalysis.Latency between = analysis.latency(figures(500, 0, 2_000), figures(100, 0, 2_000));
        assertEquals(BakeAnalysis.Latency.Result.NOT_JUDGED, between.result(), between.why());
        assertTrue(between.why().endsWith(", between the bounds"), between.why());
        BakeAnalysis lax = new BakeAnalysis(new CanarySettings(List.of(), Duration.ofSeconds(60), 100, 2,
                Duration.ofMinutes(10), 1.5, 1.0, 5, 50, Duration.ofMillis(25), List.of()));
        BakeAnalysis.Latency l = lax.latency(figures(500, 0, 2_000), figures(500, 0, 2_000));
        assertTrue(l.why().contains("(no worse: 30.0%, clearly slower: 60.0%)"), l.why());
    }

    @Test
    void aNewVersionWhoseErrorsAreNotYetJudgedIsInconclusiveEvenWithLatencyWithinLimits() {
        // 13 errors in 300 against a clean previous version: between the bounds; 300 fast requests: latency within
        BakeWindow w = analysis.judge(5_000, figures(1_000, 0, 2_000), figures(300, 13, 2_000));
        assertEquals(Verdict.INCONCLUSIVE, w.verdict(), w.why());
        assertEquals(BakeAnalysis.Latency.Result.WITHIN,
                analysis.latency(figures(1_000, 0, 2_000), figures(300, 13, 2_000)).result());
        assertTrue(w.describe().startsWith("inconclusive after 5 s: errors 13/300 vs before the flip 0/1000"), w.describe());
    }
}
