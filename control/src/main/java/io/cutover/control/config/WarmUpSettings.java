package io.cutover.control.config;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.time.Duration;

/**
 * How a new version is warmed up once healthy, before it takes traffic: with a number of
 * requests, or for a while, or not at all; and whether the paths it is sent keep their queries.
 * See reference.conf ({@code app.warm-up}).
 *
 * @param requests how many requests (0: by time, or off)
 * @param duration how long (zero: by count, or off)
 * @param queries  whether the sample of live GET targets keeps their queries (they may carry tokens)
 */
public record WarmUpSettings(long requests, Duration duration, boolean queries) {
    public static final WarmUpSettings OFF = new WarmUpSettings(0, Duration.ZERO, false);
    /** The most requests a warm-up may send. */
    public static final long MAX_REQUESTS = 1_000_000;
    /** The longest a warm-up may last. */
    public static final Duration MAX_DURATION = Duration.ofMinutes(10);

    public boolean off() {
        return requests == 0 && duration.isZero();
    }

    /** The same, with the amount (count or duration) {@code text} says. */
    public WarmUpSettings with(String text) {
        return parse(text, queries);
    }

    /**
     * Reads an amount: {@code off} (or 0), a count ({@code 2000}) or a duration ({@code 20s},
     * {@code 500ms}, {@code 2m}).
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static WarmUpSettings parse(String text, boolean queries) {
        String t = text == null ? "" : text.trim();
        if (t.equals("off") || t.equals("0")) {
            return new WarmUpSettings(0, Duration.ZERO, queries);
        }
        if (t.matches("-?\\d+")) {
            long n;
            try {
                n = Long.parseLong(t);
            } catch (NumberFormatException e) {
                n = Long.MAX_VALUE;
            }
            if (n < 0 || n > MAX_REQUESTS) {
                throw new IllegalArgumentException("a warm-up's count of requests must be from 0 to " + MAX_REQUESTS
                        + ", got " + t);
            }
            return new WarmUpSettings(n, Duration.ZERO, queries);
        }
        Duration d;
        try {
            d = ConfigFactory.empty().withValue("d", ConfigValueFactory.fromAnyRef(t)).getDuration("d");
        } catch (ConfigException e) {
            throw new IllegalArgumentException("a warm-up is off, a count of requests (2000) or a duration (20s), got '"
                    + t + "'");
        }
        if (d.isNegative() || d.isZero() || d.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException("a warm-up's duration must be more than 0 and at most "
                    + MAX_DURATION.toMinutes() + "m, got '" + t + "'");
        }
        return new WarmUpSettings(0, d, queries);
    }

    /** "2000 requests", "20 s", or "off". */
    public String describe() {
        if (requests > 0) {
            return requests + " requests";
        }
        return duration.isZero() ? "off" : duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s"
                : duration.toMillis() + " ms";
    }
}
