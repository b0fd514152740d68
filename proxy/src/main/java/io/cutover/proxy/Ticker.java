package io.cutover.proxy;

/**
 * The proxy's monotonic clock, in nanoseconds (a {@link System#nanoTime} value): injected from
 * {@link ProxyServer} into everything that measures or schedules by it, so that a test can drive
 * time by hand.
 */
@FunctionalInterface
public interface Ticker {
    /** The real clock. */
    Ticker SYSTEM = System::nanoTime;

    /** Now, in nanoseconds of an arbitrary origin (differences only). */
    long nanos();
}
