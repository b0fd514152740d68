package io.cutover.control.loop;

/** A monotonic clock in nanoseconds, injected so tests and callers can control time. */
@FunctionalInterface
public interface Ticker {
    Ticker SYSTEM = System::nanoTime;

    long nanos();
}
