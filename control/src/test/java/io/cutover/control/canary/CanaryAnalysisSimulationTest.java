package io.cutover.control.canary;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.canary.Window.Verdict;
import io.cutover.control.config.CanarySettings;
import io.cutover.proxy.RequestStats;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The canary decision rule in simulation, no sockets and no clock: an app with 10 requests a
 * second (100 for latency), the canary at 10% (about one request a second) and then 50%, windows
 * of 3 s, each request failing at random with its version's rate, and taking a latency drawn from
 * its version's distribution (fixed seeds). The windows are judged as a {@link CanaryRelease}
 * judges them: one analysis per canary, window after window, the share rising after a passed
 * window, held after an inconclusive one, up to a 10-minute deadline.
 */
class CanaryAnalysisSimulationTest {
    private static final int RUNS = 1000;
    private static final int WINDOW_SECONDS = 3;
    private static final int DEADLINE_WINDOWS = 200;            // 10 minutes
    private static final List<Integer> SHARES = List.of(10, 50);
    private static final CanarySettings SETTINGS = new CanarySettings(List.of(10, 50, 100),
            Duration.ofSeconds(WINDOW_SECONDS), 200, 2, Duration.ofMinutes(10), 1.5, 1.0, 5, 1.5,
            Duration.ofMillis(25), List.of());
    /** Each histogram bucket's upper bound (µs), to put a drawn latency in its bucket. */
    private static final long[] UPPER = uppers();

    /** How one version behaves: its error rate, and its latency (log-normal: median and spread). */
    private record Version(double errorRate, double medianMicros, double sigma) {
        static Version failing(double rate) {
            return new Version(rate, 1, 0);     // 1 µs: always below the latency floor
        }
    }

    /** How one simulated canary ended, and after how many of its requests and seconds. */
    private record Run(Verdict end, long canaryRequests, int seconds) {
    }

    /** What a thousand runs came to. */
    private record Figures(double aborted, double abortedWithin40, double abortedWithin60s, long medianRequests,
                           long p95Requests) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "aborted %.1f%%, within 40 canary requests %.1f%%, within 60 s %.1f%%,"
                    + " canary requests to abort: median %s, p95 %s", aborted * 100, abortedWithin40 * 100,
                    abortedWithin60s * 100, count(medianRequests), count(p95Requests));
        }

        private static String count(long n) {
            return n == Long.MAX_VALUE ? "never" : Long.toString(n);
        }
    }

    private static long[] uppers() {
        int n = RequestStats.Snapshot.EMPTY.buckets().length;
        long[] upper = new long[n];
        for (int i = 0; i < n; i++) {
            long[] one = new long[n];
            one[i] = 1;
            upper[i] = new RequestStats.Snapshot(one, 0).quantileMicros(1);
        }
        return upper;
    }

    private static Run run(SplittableRandom random, double appPerWindow, Version canaryVersion, Version stableVersion) {
        CanaryAnalysis analysis = new CanaryAnalysis(SETTINGS);
        long canaryRequests = 0;
        int step = 0;
        int failures = 0;
        for (int w = 1; w <= DEADLINE_WINDOWS; w++) {
            double share = SHARES.get(step) / 100.0;
            RequestStats.Snapshot stable = window(random, poisson(random, appPerWindow * (1 - share)), stableVersion);
            RequestStats.Snapshot canary = window(random, poisson(random, appPerWindow * share), canaryVersion);
            canaryRequests += canary.requests();
            Window judged = analysis.next(SHARES.get(step), stable, canary);
            switch (judged.verdict()) {
                case ABORTED -> {
                    return new Run(Verdict.ABORTED, canaryRequests, w * WINDOW_SECONDS);
                }
                case FAILED -> {
                    if (++failures >= SETTINGS.failureLimit()) {
                        return new Run(Verdict.FAILED, canaryRequests, w * WINDOW_SECONDS);
                    }
                }
                case PASSED -> {
                    failures = 0;
                    if (++step == SHARES.size()) {
                        return new Run(Verdict.PASSED, canaryRequests, w * WINDOW_SECONDS);
                    }
                }
                case INCONCLUSIVE -> {
                }
            }
        }
        return new Run(Verdict.INCONCLUSIVE, canaryRequests, DEADLINE_WINDOWS * WINDOW_SECONDS);
    }

    /** {@code n} requests of {@code version}: each failed with its error rate, each with a latency drawn from its own. */
    private static RequestStats.Snapshot window(SplittableRandom random, int n, Version version) {
        long errors = 0;
        long[] buckets = new long[UPPER.length];
        for (int i = 0; i < n; i++) {
            if (random.nextDouble() < version.errorRate()) {
                errors++;
            }
            double micros = version.sigma() == 0 ? version.medianMicros()
                    : version.medianMicros() * Math.exp(version.sigma() * random.nextGaussian());
            int b = java.util.Arrays.binarySearch(UPPER, (long) micros + 1);
            buckets[Math.min(b >= 0 ? b : -b - 1, UPPER.length - 1)]++;
        }
        return new RequestStats.Snapshot(buckets, errors);
    }

    private static int poisson(SplittableRandom random, double mean) {
        double limit = Math.exp(-mean);
        double product = random.nextDouble();
        int n = 0;
        while (product > limit) {
            product *= random.nextDouble();
            n++;
        }
        return n;
    }

    private Figures simulate(long seed, double canaryRate, double stableRate) {
        return simulate(seed, 30, Version.failing(canaryRate), Version.failing(stableRate), Verdict.ABORTED);
    }

    /**
     * @param appPerWindow the app's requests in a window, on average
     * @param abort        how an abort ends: ABORTED (the error test), FAILED (latency, at the failure limit)
     */
    private Figures simulate(long seed, double appPerWindow, Version canary, Version stable, Verdict abort) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] toAbort = new long[RUNS];
        int aborted = 0;
        int within40 = 0;
        int within60s = 0;
        for (int i = 0; i < RUNS; i++) {
            Run r = run(random, appPerWindow, canary, stable);
            toAbort[i] = r.end() == abort ? r.canaryRequests() : Long.MAX_VALUE;
            if (r.end() == abort) {
                aborted++;
                within40 += r.canaryRequests() <= 40 ? 1 : 0;
                within60s += r.seconds() <= 60 ? 1 : 0;
            }
        }
        Arrays.sort(toAbort);
        Figures f = new Figures((double) aborted / RUNS, (double) within40 / RUNS, (double) within60s / RUNS,
                toAbort[RUNS / 2], toAbort[RUNS * 95 / 100]);
        System.out.printf(Locale.ROOT, "canary %s, stable %s: %s%n", canary, stable, f);
        return f;
    }

    /*
     * The issue asks for "aborted within 40 canary requests" in 99% of runs at a stable rate of
     * 0-1%. At a stable 1% that is out of reach for any rule that also keeps false aborts of a
     * healthy canary under 1%: 3 errors in 40 requests would have to abort (a 20% canary has 4 or
     * more in only 97% of its first 40), and a healthy 1% canary reaches 3 errors in 40 requests
     * in 0.75% of runs by itself. Windows of about 3 requests add a little more. The figures
     * asserted here are what the rule achieves, with margins.
     */
    @Test
    void aCanaryFailingOneRequestInFiveIsAbortedWithinAboutFortyOfItsRequestsAtOneRequestASecond() {
        double[] stableRates = {0, 0.005, 0.01};
        double[] within40 = {0.95, 0.93, 0.90};
        long[] p95 = {40, 45, 50};
        for (int i = 0; i < stableRates.length; i++) {
            Figures f = simulate(42, 0.2, stableRates[i]);
            String at = "stable at " + stableRates[i] * 100 + "%: " + f;
            assertTrue(f.aborted() >= 0.999, at);
            assertTrue(f.medianRequests() <= 20, at);
            assertTrue(f.p95Requests() <= p95[i], at);
            assertTrue(f.abortedWithin40() >= within40[i], at);
        }
    }

    @Test
    void aCanaryFailingOneRequestInFiveIsAbortedWithinAMinuteOfCanaryTrafficAtOneRequestASecond() {
        double[] stableRates = {0, 0.005, 0.01};
        double[] within60s = {0.99, 0.98, 0.97};
        for (int i = 0; i < stableRates.length; i++) {
            Figures f = simulate(7, 0.2, stableRates[i]);
            assertTrue(f.abortedWithin60s() >= within60s[i], "stable at " + stableRates[i] * 100 + "%: " + f);
        }
    }

    @Test
    void aCanaryFailingAsOftenAsTheStableVersionIsFalselyAbortedInAtMostOnePercentOfRuns() {
        for (double rate : new double[] {0.005, 0.01, 0.02}) {
            Figures f = simulate(1234, rate, rate);
            assertTrue(f.aborted() <= 0.01, "both at " + rate * 100 + "%: " + f);
        }
    }

    @Test
    void aHealthyCanaryIsPromotedWithinTheDeadlineAtOneRequestASecond() {
        SplittableRandom random = new SplittableRandom(99);
        int promoted = 0;
        for (int i = 0; i < RUNS; i++) {
            promoted += run(random, 30, Version.failing(0.01), Version.failing(0.01)).end() == Verdict.PASSED ? 1 : 0;
        }
        assertTrue(promoted >= RUNS * 0.99, promoted + " of " + RUNS + " promoted");
    }

    /*
     * Latency: an app of 100 requests a second (the canary at 10%: about 30 requests a window),
     * log-normal latencies with a median of 20 ms, spread narrow (sigma 0.5: p99 64 ms) or wide
     * (sigma 1: p99 205 ms). The test decides once each side has 200 requests.
     */
    private static final double[] SPREADS = {0.5, 1.0};

    @Test
    void aCanaryTwiceAsSlowIsAbortedOnLatencyOnceEachSideHasTwoHundredRequests() {
        for (double sigma : SPREADS) {
            Figures f = simulate(17, 300, new Version(0, 40_000, sigma), new Version(0, 20_000, sigma), Verdict.FAILED);
            String at = "sigma " + sigma + ": " + f;
            assertTrue(f.aborted() >= 0.99, at);
            assertTrue(f.medianRequests() <= 300, at);
        }
    }

    @Test
    void aCanaryAsSlowAsTheStableVersionIsFalselyAbortedOnLatencyInAtMostOnePercentOfRuns() {
        for (double sigma : SPREADS) {
            Figures f = simulate(23, 300, new Version(0, 20_000, sigma), new Version(0, 20_000, sigma), Verdict.FAILED);
            assertTrue(f.aborted() <= 0.01, "sigma " + sigma + ": " + f);
        }
    }

    @Test
    void aCanaryAsSlowAsTheStableVersionIsPromotedWithinTheDeadline() {
        SplittableRandom random = new SplittableRandom(31);
        int promoted = 0;
        for (int i = 0; i < RUNS; i++) {
            promoted += run(random, 300, new Version(0.005, 20_000, 1.0), new Version(0.005, 20_000, 1.0)).end()
                    == Verdict.PASSED ? 1 : 0;
        }
        assertTrue(promoted >= RUNS * 0.98, promoted + " of " + RUNS + " promoted");
    }
}
