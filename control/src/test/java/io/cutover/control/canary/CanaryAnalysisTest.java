package io.cutover.control.canary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.canary.Window.Verdict;
import io.cutover.control.config.CanarySettings;
import io.cutover.proxy.RequestStats;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The decision rule on given figures (the canary's and the stable's since the canary started). */
class CanaryAnalysisTest {
    private final CanaryAnalysis analysis = new CanaryAnalysis(new CanarySettings(List.of(10, 100), Duration.ofSeconds(60),
            100, 2, Duration.ofMinutes(10), 1.5, 1.0, 5, 1.5, Duration.ofMillis(25), List.of()));

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
        return analysis.judge(10, stable, canary).verdict();
    }

    @Test
    void aCanaryFailingFarMoreOftenThanTheStableIsAbortedAndItsLineSaysWhatTheTestConcluded() {
        Window w = analysis.judge(10, window(1000, 0, 1000), window(23, 4, 1000));
        assertEquals(Verdict.ABORTED, w.verdict());
        assertTrue(w.why().startsWith("errors 4/23 vs stable 0/1000: log-likelihood ratio 7.4 reached the abort bound 3.4"
                + " (no worse: 1.0%, clearly worse: 11."), w.why());
    }

    @Test
    void theIssuesWindowOfTwelveErrorsInSixtyOneRequestsIsAbortedRatherThanInconclusive() {
        Window w = analysis.judge(10, window(537, 0, 1000), window(61, 12, 1000));
        assertEquals(Verdict.ABORTED, w.verdict(), w.why());
        assertTrue(w.why().startsWith("errors 12/61 vs stable 0/537: log-likelihood ratio 22.6 reached the abort bound"),
                w.why());
    }

    @Test
    void twoErrorsInTheCanarysFirstFewRequestsAbortItWhileOneIsInconclusive() {
        assertEquals(Verdict.ABORTED, judge(window(1000, 0, 1000), window(3, 2, 1000)));
        Window one = analysis.judge(10, window(1000, 0, 1000), window(3, 1, 1000));
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
    void errorsThatPassWithTooFewRequestsToJudgeLatencyAreInconclusive() {
        Window w = analysis.judge(10, window(1000, 0, 1000), window(99, 0, 1000));
        assertEquals(Verdict.INCONCLUSIVE, w.verdict());
        assertTrue(w.why().contains("reached the pass bound -2.3"), w.why());
        assertTrue(w.why().contains("latency not judged yet: the canary had 99 requests, fewer than 100"), w.why());
        assertEquals(Verdict.PASSED, judge(window(1000, 0, 1000), window(100, 0, 1000)));
    }

    @Test
    void aCanaryFailsWhenItsP99ExceedsOneAndAHalfTimesTheStablesAboveTheFloor() {
        Window slow = analysis.judge(10, window(1000, 0, 40_000), window(200, 0, 80_000));
        assertEquals(Verdict.FAILED, slow.verdict());
        assertTrue(slow.why().startsWith("p99 "), slow.why());
        assertEquals(Verdict.PASSED, judge(window(1000, 0, 40_000), window(200, 0, 50_000)), "1.25x is within 1.5x");
        assertEquals(Verdict.PASSED, judge(window(1000, 0, 1_000), window(200, 0, 20_000)), "below the 25 ms floor");
    }

    @Test
    void aSlowCanaryIsNotFailedOnLatencyWhenTheStableVersionHadNoRequestsToCompareWith() {
        assertEquals(Verdict.PASSED, judge(window(0, 0, 0), window(200, 0, 80_000)), "nothing to compare with");
        assertEquals(Verdict.FAILED, judge(window(1, 0, 1_000), window(200, 0, 80_000)), "one stable request is enough");
    }

    @Test
    void theWindowSaysWhyWithBothSidesFigures() {
        Window w = analysis.judge(25, window(1000, 0, 1000), window(200, 40, 1000));
        String text = w.describe();
        assertTrue(text.startsWith("aborted at 25%: errors 40/200 vs stable 0/1000: log-likelihood ratio "), text);
        assertTrue(text.contains("reached the abort bound 3.4"), text);
        assertTrue(text.contains("canary 200 requests, 40 errors (20.0%)") && text.contains("stable 1000 requests"), text);
    }
}
