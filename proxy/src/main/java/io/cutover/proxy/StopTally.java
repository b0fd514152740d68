package io.cutover.proxy;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How the client connections open when a graceful stop began ended: what the stop logs, so that
 * its figures say what clients saw. A connection counts once, when it closes.
 */
final class StopTally {
    /** Its last response said {@code Connection: close}, and it closed after it. */
    final AtomicInteger answeredAndClosed = new AtomicInteger();
    /** Idle through the linger after a keep-alive response, with nothing of a request read: closed. */
    final AtomicInteger closedIdle = new AtomicInteger();
    /** Its client closed it (or reset it) first. */
    final AtomicInteger closedByClient = new AtomicInteger();
    /** Closed in the middle of an exchange (a response cut, a request refused). */
    final AtomicInteger cut = new AtomicInteger();

    /** How one connection ended. */
    enum End {
        ANSWERED_AND_CLOSED, CLOSED_IDLE, CLOSED_BY_CLIENT, CUT
    }

    /** Connections the stop reached (each is counted once it closed). */
    final AtomicInteger reached = new AtomicInteger();
    private final AtomicInteger counted = new AtomicInteger();
    StopTally() {
    }

    /**
     * Waits (bounded) until every connection the stop reached and that closed has been counted:
     * a connection's close is counted just after it closed, on its loop. Never on a loop. It
     * blocks a thread, so it is bounded by the real clock (not the proxy's ticker, which a test
     * may hold still).
     */
    void awaitCounted(int stillOpen, long millis) {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(millis);
        while (counted.get() < reached.get() - stillOpen && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
    }

    void count(End end) {
        (switch (end) {
            case ANSWERED_AND_CLOSED -> answeredAndClosed;
            case CLOSED_IDLE -> closedIdle;
            case CLOSED_BY_CLIENT -> closedByClient;
            case CUT -> cut;
        }).incrementAndGet();
        counted.incrementAndGet();      // after: whoever sees it counted sees its kind counted
    }

    /** The event each client connection gets when a graceful stop begins. */
    record Stopping(StopTally tally) {
    }
}
