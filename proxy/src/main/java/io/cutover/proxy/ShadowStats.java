package io.cutover.proxy;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * What a {@link Shadow}'s copies came to: how many were copied and dropped (the shadow was busy),
 * and for each copied request whose two answers are known, the pair of status classes (the active
 * version's, the candidate's) and both latencies, in the histograms of {@link RequestStats}
 * (errors there: a 5xx, or no answer). A request whose client left before the active version
 * answered has no answer to compare with, and is counted as unpaired. Counts only grow; written on
 * the event loops, read by the control plane.
 */
public final class ShadowStats {
    /** Status classes: 0 for no answer (failed), 1-5 for 1xx-5xx. */
    static final int CLASSES = 6;

    private final LongAdder copied = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final LongAdder unpaired = new LongAdder();
    private final AtomicLongArray pairs = new AtomicLongArray(CLASSES * CLASSES);
    private final RequestStats live = new RequestStats();
    private final RequestStats shadow = new RequestStats();

    void copied() {
        copied.increment();
    }

    void dropped() {
        dropped.increment();
    }

    /** One request's two answers: statuses as {@link RequestStats} counts them, latencies from request sent to head. */
    void record(int liveStatus, long liveNanos, int shadowStatus, long shadowNanos) {
        if (liveStatus == 101 || liveStatus == TrafficObserver.CLIENT_GONE || liveStatus == TrafficObserver.CLIENT_TOO_SLOW) {
            unpaired.increment();
            return;
        }
        live.record(liveStatus, liveNanos);
        shadow.record(shadowStatus, shadowNanos);
        pairs.incrementAndGet(classOf(liveStatus) * CLASSES + classOf(shadowStatus));
    }

    static int classOf(int status) {
        return status >= 100 && status < 600 ? status / 100 : 0;
    }

    /** The counts now. */
    public Snapshot snapshot() {
        long[][] p = new long[CLASSES][CLASSES];
        for (int i = 0; i < CLASSES * CLASSES; i++) {
            p[i / CLASSES][i % CLASSES] = pairs.get(i);
        }
        return new Snapshot(copied.sum(), dropped.sum(), unpaired.sum(), p, live.snapshot(), shadow.snapshot());
    }

    /**
     * Counts at one moment.
     *
     * @param pairs    compared requests by status class: {@code pairs[live][candidate]}, 0 for no answer, 1-5 for 1xx-5xx
     * @param live     the active version's answers to the compared requests
     * @param shadow   the candidate's answers to the same requests
     */
    public record Snapshot(long copied, long dropped, long unpaired, long[][] pairs, RequestStats.Snapshot live,
                           RequestStats.Snapshot shadow) {

        /** Requests with both answers known. */
        public long compared() {
            return live.requests();
        }

        /** Compared requests the two versions answered in the same status class. */
        public long sameClass() {
            long n = 0;
            for (int i = 0; i < CLASSES; i++) {
                n += pairs[i][i];
            }
            return n;
        }

        /**
         * One line: copied and dropped, then for each status class the active version answered, how
         * many of those the candidate answered alike, the candidate's errors against the active
         * version's, and both p99s; for example {@code 312 requests copied, 0 dropped; compared 310:
         * same status class 309 (2xx 309/310); 5xx or no answer 1 vs live 0; p99 12 ms vs live 9 ms}.
         */
        public String describe() {
            StringBuilder s = new StringBuilder();
            s.append(copied).append(copied == 1 ? " request" : " requests").append(" copied, ").append(dropped)
                    .append(" dropped");
            long compared = compared();
            s.append("; compared ").append(compared);
            if (compared == 0) {
                return s.toString();
            }
            s.append(": same status class ").append(sameClass()).append(" (");
            String sep = "";
            for (int l = 0; l < CLASSES; l++) {
                long row = 0;
                for (long c : pairs[l]) {
                    row += c;
                }
                if (row > 0) {
                    s.append(sep).append(l == 0 ? "no answer" : l + "xx").append(' ').append(pairs[l][l]).append('/').append(row);
                    sep = ", ";
                }
            }
            s.append("); 5xx or no answer ").append(shadow.errors()).append(" vs live ").append(live.errors());
            s.append("; p99 ").append(millis(shadow.quantileMicros(0.99))).append(" vs live ")
                    .append(millis(live.quantileMicros(0.99)));
            if (unpaired > 0) {
                s.append("; ").append(unpaired).append(" not compared (the client left)");
            }
            return s.toString();
        }

        private static String millis(long micros) {
            return micros < 10_000 ? String.format(java.util.Locale.ROOT, "%.1f ms", micros / 1000.0) : micros / 1000 + " ms";
        }
    }
}
