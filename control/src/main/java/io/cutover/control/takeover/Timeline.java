package io.cutover.control.takeover;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * When each step of a takeover ended in the new process, for one line of its log ("took over
 * ... in 1840 ms: start-up 900, handshake 12, ..."): where an upgrade's time goes. Start-up is
 * from this process's start (the JVM's, as the kernel saw it) to the takeover's first step:
 * JVM, class loading, command line and config.
 */
final class Timeline {
    private final long begun = System.nanoTime();
    private final long startUpMs;
    private final StringBuilder steps = new StringBuilder();
    private long last = begun;

    Timeline() {
        this(ProcessHandle.current().info().startInstant().orElse(null), Instant.now());
    }

    Timeline(Instant processStart, Instant now) {
        this.startUpMs = processStart == null ? -1 : Math.max(0, Duration.between(processStart, now).toMillis());
    }

    /** The step that just ended. */
    void step(String name) {
        long now = System.nanoTime();
        steps.append(", ").append(name).append(' ').append(TimeUnit.NANOSECONDS.toMillis(now - last));
        last = now;
    }

    /** Every step so far, and the total since this process started (or since the takeover began, if unknown). */
    String summary() {
        long since = TimeUnit.NANOSECONDS.toMillis(last - begun);
        if (startUpMs < 0) {
            return since + " ms since the takeover began: " + steps.substring(Math.min(2, steps.length()));
        }
        return (startUpMs + since) + " ms since this process started: start-up " + startUpMs + steps;
    }
}
