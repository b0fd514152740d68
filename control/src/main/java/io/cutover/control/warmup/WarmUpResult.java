package io.cutover.control.warmup;

import java.time.Duration;
import java.util.Arrays;

/**
 * What a warm-up came to: its requests by status class, those that got no answer (refused,
 * reset, timed out), and the p99 latency of its first and last hundred requests (how much the
 * version sped up as it warmed).
 *
 * @param paths      where the requests went: "12 sampled paths", or "the health path /up"
 * @param stoppedWhy why it stopped short of its count (its time limit, a cancel), or null
 */
public record WarmUpResult(long requests, Duration took, long ok, long redirects, long clientErrors,
                           long serverErrors, long noAnswer, long firstP99Micros, long lastP99Micros, int firstN,
                           int lastN, String paths, String stoppedWhy) {

    /** Requests that did not get a 2xx, 3xx or 4xx: a 5xx, or no answer. */
    public long failed() {
        return serverErrors + noAnswer;
    }

    /** "2000 requests in 4.1 s, 1998 2xx, 2 5xx; p99 first 100: 180 ms, last 100: 3 ms; on 12 sampled paths". */
    public String describe() {
        StringBuilder s = new StringBuilder();
        s.append(requests).append(requests == 1 ? " request in " : " requests in ")
                .append(String.format(java.util.Locale.ROOT, "%.1f s", took.toMillis() / 1000.0));
        count(s, ok, "2xx");
        count(s, redirects, "3xx");
        count(s, clientErrors, "4xx");
        count(s, serverErrors, "5xx");
        count(s, noAnswer, "no answer");
        if (firstN > 0) {
            s.append("; p99 first ").append(firstN).append(": ").append(ms(firstP99Micros))
                    .append(", last ").append(lastN).append(": ").append(ms(lastP99Micros));
        }
        s.append("; on ").append(paths);
        if (stoppedWhy != null) {
            s.append("; stopped: ").append(stoppedWhy);
        }
        return s.toString();
    }

    private static void count(StringBuilder s, long n, String what) {
        if (n > 0) {
            s.append(", ").append(n).append(' ').append(what);
        }
    }

    private static String ms(long micros) {
        return micros < 10_000 ? String.format(java.util.Locale.ROOT, "%.1f ms", micros / 1000.0) : micros / 1000 + " ms";
    }

    /** The p99 of some latencies (the value at rank ceil(0.99 n)); 0 with none. */
    static long p99(long[] micros, int n) {
        if (n == 0) {
            return 0;
        }
        long[] sorted = Arrays.copyOf(micros, n);
        Arrays.sort(sorted);
        return sorted[(int) Math.ceil(0.99 * n) - 1];
    }
}
