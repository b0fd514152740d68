package io.cutover.control.config;

import java.time.Duration;

/**
 * Shadow traffic before a deploy's switch: while the healthy candidate waits to take traffic, this
 * share of the app's GET and HEAD requests (without a body) is copied to it for this long, its
 * answers compared with the live version's and thrown away. See reference.conf ({@code app.shadow}).
 *
 * @param percent      the share copied, 0-100 (0: no shadow)
 * @param failOnErrors the deploy fails, and the candidate is removed, when the candidate's errors
 *                     on the copies are worse than the live version's on the same requests (the
 *                     canary's error test)
 * @param maxInFlight  copies under way at once, at most; a sampled request beyond that is dropped
 */
public record ShadowSettings(int percent, Duration duration, boolean failOnErrors, int maxInFlight) {
    public static final ShadowSettings OFF = new ShadowSettings(0, Duration.ofSeconds(30), false, 64);

    public ShadowSettings {
        if (percent < 0 || percent > 100) {
            throw new IllegalArgumentException("the shadow's share must be 0-100%, got " + percent);
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("the shadow's duration must be more than 0");
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("the shadow's max-in-flight must be at least 1, got " + maxInFlight);
        }
    }

    public boolean on() {
        return percent > 0;
    }

    /** These settings with what a deploy asks (null: as configured). */
    public ShadowSettings with(Integer percent, Duration duration, Boolean failOnErrors) {
        return new ShadowSettings(percent == null ? this.percent : percent, duration == null ? this.duration : duration,
                failOnErrors == null ? this.failOnErrors : failOnErrors, maxInFlight);
    }

    /**
     * A share as written: {@code 10%} or {@code 10} (percent, 0-100).
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static int parseShare(String text) {
        String t = text == null ? "" : text.trim();
        if (t.endsWith("%")) {
            t = t.substring(0, t.length() - 1).trim();
        }
        int p;
        try {
            p = Integer.parseInt(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a share like 10%");
        }
        if (p < 0 || p > 100) {
            throw new IllegalArgumentException("a share must be 0-100%, got '" + text + "'");
        }
        return p;
    }
}
