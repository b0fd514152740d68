package io.cutover.proxy;

/**
 * How a graceful stop ended the client connections open when it began.
 *
 * @param open              the client connections open when the stop began
 * @param answeredAndClosed closed after a response that said {@code Connection: close}
 * @param closedIdle        closed idle, nothing of a request read, after the linger
 * @param closedByClient    closed (or reset) by their clients first
 * @param cutMidExchange    closed in the middle of an exchange (a response cut)
 * @param cutAtDeadline     still open at the drain deadline, and closed then
 */
public record StopFigures(int open, int answeredAndClosed, int closedIdle, int closedByClient, int cutMidExchange,
                          int cutAtDeadline) {
    /** The connections whose clients may have lost a request. */
    public int cut() {
        return cutMidExchange + cutAtDeadline;
    }
}
