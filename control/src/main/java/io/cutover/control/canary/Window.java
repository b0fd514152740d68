package io.cutover.control.canary;

import io.cutover.proxy.RequestStats;
import java.util.Locale;

/**
 * One window of a canary: what the stable version and the canary did over the same interval,
 * and the verdict on it.
 */
public record Window(int share, Verdict verdict, String why, Figures stable, Figures canary) {

    public enum Verdict { PASSED, FAILED, INCONCLUSIVE }

    /** One version's figures over the window: requests, errors, error rate, p99 latency. */
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
