package io.cutover.proxy;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * What one backend's requests came to: how many, how many failed (a 5xx, or a failure of the
 * proxy's own: refused, reset, timed out, cut), and the app's latency (request sent to response
 * head, not the client's upload nor its reading of the response) in a histogram of buckets about
 * a quarter apart (1 µs to days). Counts only grow; a window is the difference of two
 * {@link #snapshot}s. One atomic add per request (two for an error), no lock.
 */
public final class RequestStats {
    static final int BUCKETS = 160;
    /** Each thread counts in one of these copies, a kilobyte apart: event loops do not fight over a cache line. */
    private static final int STRIPES = 4;

    private final AtomicLongArray buckets = new AtomicLongArray(BUCKETS * STRIPES);
    private final LongAdder errors = new LongAdder();

    /**
     * Records a request that ended; upgrades (their time is the tunnel's), clients that left and
     * clients too slow to send their body are not counted: those are not the app's doing.
     *
     * @param nanos the app's latency: from the whole request sent to the response head
     */
    void record(int status, long nanos) {
        if (status == 101 || status == TrafficObserver.CLIENT_GONE || status == TrafficObserver.CLIENT_TOO_SLOW) {
            return;
        }
        int stripe = (int) Thread.currentThread().getId() & (STRIPES - 1);
        buckets.incrementAndGet(stripe * BUCKETS + bucket(nanos / 1000));
        if (status >= 500 || status == 0) {
            errors.increment();
        }
    }

    static int bucket(long micros) {
        if (micros < 4) {
            return (int) Math.max(0, micros);
        }
        int e = 63 - Long.numberOfLeadingZeros(micros);
        int i = (e - 1) * 4 + (int) ((micros >>> (e - 2)) & 3);
        return Math.min(i, BUCKETS - 1);
    }

    /** The largest latency (in µs) a bucket holds. */
    static long upperMicros(int bucket) {
        if (bucket < 4) {
            return bucket + 1;
        }
        int e = bucket / 4 + 1;
        return (5L + bucket % 4) << (e - 2);
    }

    /** The counts now. */
    public Snapshot snapshot() {
        long[] b = new long[BUCKETS];
        for (int i = 0; i < BUCKETS * STRIPES; i++) {
            b[i % BUCKETS] += buckets.get(i);
        }
        return new Snapshot(b, errors.sum());
    }

    /** Counts at one moment, or (by {@link #minus}) over a window. */
    public record Snapshot(long[] buckets, long errors) {
        public static final Snapshot EMPTY = new Snapshot(new long[BUCKETS], 0);

        public long requests() {
            long n = 0;
            for (long c : buckets) {
                n += c;
            }
            return n;
        }

        /** Errors per request, 0 with no requests. */
        public double errorRate() {
            long n = requests();
            return n == 0 ? 0 : (double) errors / n;
        }

        /** What happened between {@code earlier} and this. */
        public Snapshot minus(Snapshot earlier) {
            long[] b = new long[BUCKETS];
            for (int i = 0; i < BUCKETS; i++) {
                b[i] = buckets[i] - earlier.buckets[i];
            }
            return new Snapshot(b, errors - earlier.errors);
        }

        /**
         * The requests that took at least {@code micros}, as far as the buckets tell: those in
         * buckets whose every latency is at least it (a bucket holding {@code micros} and faster
         * ones is left out). With {@code micros} a {@link #quantileMicros quantile} of these
         * counts, at most the fraction {@code 1 - q} of them is counted.
         */
        public long atLeast(long micros) {
            long n = 0;
            for (int i = 1; i < BUCKETS; i++) {
                if (upperMicros(i - 1) >= micros) {
                    n += buckets[i];
                }
            }
            return n;
        }

        /** The latency (µs, a bucket's upper bound) that a fraction {@code q} of requests stayed within; 0 with none. */
        public long quantileMicros(double q) {
            long n = requests();
            if (n == 0) {
                return 0;
            }
            long rank = (long) Math.ceil(q * n);
            long seen = 0;
            for (int i = 0; i < BUCKETS; i++) {
                seen += buckets[i];
                if (seen >= rank) {
                    return upperMicros(i);
                }
            }
            return upperMicros(BUCKETS - 1);
        }
    }
}
