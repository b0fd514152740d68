package io.cutover.control.canary;

import io.cutover.proxy.RequestStats;
import java.util.Locale;

/**
 * One window of a canary: the verdict on it, and why, with what the stable version and the
 * canary did since the canary started (the windows so far, pooled: the evidence it was judged on).
 */
public record Window(int share, Verdict verdict, String why, Figures stable, Figures canary) {

    /**
     * PASSED: the share may rise; FAILED: a latency failure (they count towards the failure
     * limit); ABORTED: the error test found the canary worse, it is pulled back at once;
     * INCONCLUSIVE: not enough evidence yet, the share is held.
     */
    public enum Verdict { PASSED, FAILED, ABORTED, INCONCLUSIVE }

    /** One version's figures since the canary started: requests, errors, error rate, p99 latency. */
    public record Figures(long requests, long errors, double errorRate, long p99Micros) {
        static Figures of(RequestStats.Snapshot s) {
            return new Figures(s.requests(), s.errors(), s.errorRate(), s.quantileMicros(0.99));
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d requests, %d errors (%.1f%%), p99 %s", requests, errors,
                    errorRate * 100, millis(p99Micros));
        }
    }

    static String millis(long micros) {
        return micros >= 10_000 ? micros / 1000 + " ms" : String.format(Locale.ROOT, "%.1f ms", micros / 1000.0);
    }

    /** One line: verdict, why, and both sides' figures. */
    public String describe() {
        return verdict.name().toLowerCase(Locale.ROOT) + " at " + share + "%: " + why + "; canary " + canary
                + "; stable " + stable;
    }
}
