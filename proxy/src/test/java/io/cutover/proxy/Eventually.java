package io.cutover.proxy;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Waiting in tests for something another thread or process does: polls with a short backoff
 * until a condition holds or a deadline passes, then fails with an AssertionError saying what was
 * awaited and the last value seen. Always bounded; a test never sleeps "long enough" instead.
 * An exception from the condition is the test's failure at once, as in a hand-written loop.
 */
public final class Eventually {

    /** A condition read again and again; it may throw (a socket read, a file read). */
    @FunctionalInterface
    public interface Check<E extends Exception> {
        boolean holds() throws E;
    }

    /** A value read again and again; it may throw (a socket read, a file read). */
    @FunctionalInterface
    public interface Read<T, E extends Exception> {
        T get() throws E;
    }

    private static final long FIRST_PAUSE_MILLIS = 1;
    private static final long LONGEST_PAUSE_MILLIS = 50;

    private Eventually() {
    }

    /** Waits until {@code condition} holds, at most {@code deadline}; {@code what} names it in the failure. */
    public static <E extends Exception> void until(Duration deadline, String what, Check<E> condition)
            throws E, InterruptedException {
        value(deadline, what, condition::holds, Boolean::booleanValue);
    }

    /**
     * Reads {@code read} until its value satisfies {@code accepted}, at most {@code deadline}, and
     * returns that value; on the deadline the failure shows the last value read.
     */
    public static <T, E extends Exception> T value(Duration deadline, String what, Read<T, E> read,
            Predicate<? super T> accepted) throws E, InterruptedException {
        Objects.requireNonNull(what);
        long end = System.nanoTime() + deadline.toNanos();
        long pause = FIRST_PAUSE_MILLIS;
        for (;;) {
            T v = read.get();
            if (accepted.test(v)) {
                return v;
            }
            long left = end - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("waited " + deadline.toMillis() + " ms for " + what + "; last seen: " + v);
            }
            Thread.sleep(Math.max(1, Math.min(pause, left / 1_000_000)));
            pause = Math.min(pause * 2, LONGEST_PAUSE_MILLIS);
        }
    }
}
