package io.cutover.control.canary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.canary.Window.Verdict;
import io.cutover.control.config.CanarySettings;
import io.cutover.proxy.RequestStats;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The decision rule on given figures: one window (a fresh analysis, so the canary's and the
 * stable's since the canary started), or windows in turn.
 */
class CanaryAnalysisTest {
    private static final CanarySettings SETTINGS = new CanarySettings(List.of(10, 100), Duration.ofSeconds(60),
            100, 2, Duration.ofMinutes(10), 1.5, 1.0, 5, 1.5, Duration.ofMillis(25), List.of());
    private final CanaryAnalysis analysis = new CanaryAnalysis(SETTINGS);

    /** A first window, judged by an analysis of its own. */
    private static Window first(int share, RequestStats.Snapshot stable, RequestStats.Snapshot canary) {
        return new CanaryAnalysis(SETTINGS).next(share, stable, canary);
    }

    /** Requests of two latencies: {@code n} of {@code micros}, {@code slow} of {@code slowMicros}. */
    private static RequestStats.Snapshot spread(long n, long micros, long slow, long slowMicros) {
        long[] buckets = window(n, 0, micros).buckets();
        buckets[bucket(slowMicros)] += slow;
        return new RequestStats.Snapshot(buckets, 0);
    }

    /** {@code n} requests of {@code micros} each, {@code errors} of them failed. */
    private static RequestStats.Snapshot window(long n, long errors, long micros) {
        long[] buckets = new long[RequestStats.Snapshot.EMPTY.buckets().length];
        buckets[bucket(micros)] = n;
        return new RequestStats.Snapshot(buckets, errors);
    }

    private static int bucket(long micros) {
        RequestStats s = new RequestStats();
        for (int i = 0; i < s.snapshot().buckets().length; i++) {
            if (upper(i) > micros) {
                return i;
            }
        }
        throw new IllegalArgumentException();
    }

    private static long upper(int bucket) {
        long[] b = new long[RequestStats.Snapshot.EMPTY.buckets().length];
        b[bucket] = 1;
        return new RequestStats.Snapshot(b, 0).quantileMicros(1);
    }

    private Verdict judge(RequestStats.Snapshot stable, RequestStats.Snapshot canary) {
        return first(10, stable, canary).verdict();
    }

    @Test
    void aCanaryFailingFarMoreOftenThanTheStableIsAbortedAndItsLineSaysWhatTheTestConcluded() {
        Window w = first(10, window(1000, 0, 1000), window(23, 4, 1000));
        assertEquals(Verdict.ABORTED, w.verdict());
        assertTrue(w.why().startsWith("errors 4/23 vs stable 0/1000: log-likelihood ratio 7.4 reached the abort bound 3.4"
                + " (no worse: 1.0%, clearly worse: 11."), w.why());
    }

    @Test
    void theIssuesWindowOfTwelveErrorsInSixtyOneRequestsIsAbortedRatherThanInconclusive() {
        Window w = first(10, window(537, 0, 1000), window(61, 12, 1000));
        assertEquals(Verdict.ABORTED, w.verdict(), w.why());
        assertTrue(w.why().startsWith("errors 12/61 vs stable 0/537: log-likelihood ratio 22.6 reached the abort bound"),
                w.why());
    }

    @Test
    void twoErrorsInTheCanarysFirstFewRequestsAbortItWhileOneIsInconclusive() {
        assertEquals(Verdict.ABORTED, judge(window(1000, 0, 1000), window(3, 2, 1000)));
        Window one = first(10, window(1000, 0, 1000), window(3, 1, 1000));
        assertEquals(Verdict.INCONCLUSIVE, one.verdict());
        assertTrue(one.why().contains("log-likelihood ratio 2.1, between the pass bound -2.3 and the abort bound 3.4"),
                one.why());
    }

    @Test
    void aCanaryFailingAsOftenAsTheStablePassesAndOneFailingMuchMoreIsAbortedAtAnyStableRate() {
        assertEquals(Verdict.PASSED, judge(window(1000, 10, 1000), window(300, 3, 1000)), "1% against 1%");
        assertEquals(Verdict.PASSED, judge(window(1000, 10, 1000), window(300, 6, 1000)), "2% against 1%: within the margin");
        assertEquals(Verdict.ABORTED, judge(window(1000, 10, 1000), window(300, 30, 1000)), "10% against 1%");
        assertEquals(Verdict.PASSED, judge(window(1000, 100, 1000), window(200, 30, 1000)), "15% against 10%: within 1.5x");
        assertEquals(Verdict.ABORTED, judge(window(1000, 100, 1000), window(200, 60, 1000)), "30% against 10%");
    }

    @Test
    void theOneShotErrorTestOnPooledCountsGivesTheSameRatioAsAFirstWindow() {
        CanaryAnalysis.ErrorTest once = analysis.errorTest(4, 23, 0, 1000);
        assertTrue(once.abort());
        String window = first(10, window(1000, 0, 1000), window(23, 4, 1000)).why();
        assertTrue(window.startsWith(once.why()), once.why() + " / " + window);
        assertEquals(-32.0, analysis.errorTest(0, 300, 0, 1000).logLikelihoodRatio(), 0.1, "not floored: a one-shot test");
    }

    @Test
    void errorsThatPassWithTooFewRequestsToJudgeLatencyAreInconclusive() {
        Window w = first(10, window(1000, 0, 1000), window(99, 0, 1000));
        assertEquals(Verdict.INCONCLUSIVE, w.verdict());
        assertTrue(w.why().contains("reached the pass bound -2.3"), w.why());
        assertTrue(w.why().contains("not judged yet: the canary had 99 requests and the stable 1000, fewer than 100 a side"),
                w.why());
        Window judged = first(10, window(1000, 0, 1000), window(100, 0, 1000));
        assertEquals(Verdict.INCONCLUSIVE, judged.verdict(), "100 fast requests are not yet enough to pass latency");
        assertTrue(judged.why().contains("log-likelihood ratio -1.5, between the pass bound"), judged.why());
        assertEquals(Verdict.PASSED, judge(window(1000, 0, 1000), window(200, 0, 1000)));
        assertEquals(Verdict.INCONCLUSIVE, judge(window(99, 0, 1000), window(1000, 0, 1000)), "the stable needs as many");
    }

    @Test
    void aCanaryTwiceAsSlowFailsOnLatencyAndOneAsSlowAsTheStablePasses() {
        // the stable: 99% at 40 ms, 1% at 160 ms
        RequestStats.Snapshot stable = spread(990, 40_000, 10, 160_000);
        Window slow = first(10, stable, spread(198, 80_000, 2, 320_000));
        assertEquals(Verdict.FAILED, slow.verdict(), slow.why());
        assertTrue(slow.why().contains("latency: 200/200 canary requests at least 40 ms (the stable's p99) vs stable 10/1000:"
                + " log-likelihood ratio 138.6 reached the abort bound 3.4 (no worse: 1.5%, clearly slower: 3.0%)"), slow.why());
        Window same = first(10, stable, spread(396, 40_000, 4, 160_000));
        assertEquals(Verdict.PASSED, same.verdict(), same.why());
        assertTrue(same.why().contains("latency: 4/400 canary requests at least 40 ms"), same.why());
    }

    @Test
    void latencyBelowTheFloorNeverCountsAgainstTheCanary() {
        Window w = first(10, window(1000, 0, 1_000), window(200, 0, 20_000));
        assertEquals(Verdict.PASSED, w.verdict(), w.why());
        assertTrue(w.why().contains("latency: 0/200 canary requests at least 25 ms (the latency floor, above the stable's"
                + " p99 1.0 ms)"), w.why());
    }

    @Test
    void aCanaryCleanForAThousandRequestsThatStartsFailingOneInFiveIsAbortedWithinThreeWindowsOfTwenty() {
        for (int w = 0; w < 100; w++) {
            Window clean = analysis.next(10, window(100, 0, 1000), window(20, 0, 1000));
            assertTrue(clean.verdict() == Verdict.PASSED || clean.verdict() == Verdict.INCONCLUSIVE, clean.why());
        }
        List<Verdict> after = new java.util.ArrayList<>();
        for (int w = 0; w < 30 && !after.contains(Verdict.ABORTED); w++) {
            after.add(analysis.next(50, window(100, 0, 1000), window(20, 4, 1000)).verdict());
        }
        assertTrue(after.size() <= 3 && after.get(after.size() - 1) == Verdict.ABORTED,
                "aborted after " + after.size() + " failing windows of 20 requests: " + after);
    }

    @Test
    void theWindowSaysWhyWithBothSidesFigures() {
        Window w = first(25, window(1000, 0, 1000), window(200, 40, 1000));
        String text = w.describe();
        assertTrue(text.startsWith("aborted at 25%: errors 40/200 vs stable 0/1000: log-likelihood ratio "), text);
        assertTrue(text.contains("reached the abort bound 3.4"), text);
        assertTrue(text.contains("canary 200 requests, 40 errors (20.0%)") && text.contains("stable 1000 requests"), text);
    }

    @Test
    void latencyThatPassedDoesNotPassAWindowWhoseErrorsAreStillBetweenTheBounds() {
        // 8 errors in 200 against a clean stable: the ratio is between the bounds; 200 fast requests pass latency
        Window w = first(10, window(1000, 0, 1000), window(200, 8, 1000));
        assertEquals(Verdict.INCONCLUSIVE, w.verdict(), w.why());
        assertTrue(w.why().contains(", between the pass bound -2.3 and the abort bound 3.4"), w.why());
        assertTrue(w.why().contains("reached the pass bound -2.3 (no worse: 1.5%"), "latency passed: " + w.why());
    }

    @Test
    void theEvidenceIsCarriedFromWindowToWindowAndNeverFallsBelowThePassBound() {
        CanaryAnalysis.Evidence e = new CanaryAnalysis.Evidence();
        assertEquals(0.0, e.logLikelihoodRatio());
        double one = e.add(1, 1, 0.01, 0.11);
        assertEquals(Math.log(11), one, 1e-9, "an error weighs ln(p1/p0)");
        assertEquals(one, e.logLikelihoodRatio());
        assertEquals(one + Math.log(0.89 / 0.99), e.add(0, 1, 0.01, 0.11), 1e-9, "a success ln((1-p1)/(1-p0))");
        assertEquals(CanaryAnalysis.PASS_BOUND, e.add(0, 10_000, 0.01, 0.11), "floored at the pass bound");
        assertEquals(CanaryAnalysis.PASS_BOUND + Math.log(11), e.add(1, 1, 0.01, 0.11), 1e-9,
                "from the floor, one error counts in full");
    }

    @Test
    void noWorseIsTheStablesRateWithTheMarginAddedOrMultipliedWhicheverIsMoreAndAtMost89Percent() {
        CanaryAnalysis.ErrorTest clean = analysis.errorTest(0, 1, 0, 999);
        assertEquals(0.0005 + 0.01, clean.noWorse(), 1e-9, "a clean stable: Jeffreys' 0.5/1000, plus one point");
        assertEquals(clean.noWorse() + 0.1, clean.clearlyWorse(), 1e-9);
        assertEquals(1.5 * 200.5 / 1000, analysis.errorTest(0, 1, 200, 999).noWorse(), 1e-9, "20%: times 1.5");
        assertEquals(0.89, analysis.errorTest(0, 1, 900, 999).noWorse(), 1e-9, "at most 89%, so clearly worse is < 1");
    }

    @Test
    void figuresOfTenMillisecondsOrMoreAreWholeMillisecondsAndLessToATenth() {
        assertEquals("10 ms", Window.millis(10_000));
        assertEquals("10.0 ms", Window.millis(9_999));
        assertEquals("0.5 ms", Window.millis(500));
        assertEquals("123 ms", Window.millis(123_456));
    }
}
