package io.cutover.proxy;

/**
 * When a request may be sent again on another backend connection: only when it cannot have
 * reached the application. Its pooled connection died before a byte of the response, no byte of
 * its body went out, its method is idempotent (RFC 9110 9.2.2), it was not retried already, and
 * its backend still takes requests.
 */
final class RetryRule {
    /** Which connection an exchange's request went out on. */
    enum Attempt {
        /** A connection opened for it. */
        FRESH,
        /** A pooled (parked) connection: it may have died unnoticed. */
        POOLED,
        /** A fresh connection after the pooled one died: never retried again. */
        RETRY
    }

    private RetryRule() {
    }

    /**
     * @param attempt       the connection the request went out on
     * @param bodySent      a byte of its body went out
     * @param responseBegan a byte of a response came
     * @param idempotent    its method is idempotent
     * @param backendClosed its backend was closed (drained past its deadline)
     */
    static boolean mayRetry(Attempt attempt, boolean bodySent, boolean responseBegan, boolean idempotent,
                            boolean backendClosed) {
        return attempt == Attempt.POOLED && !bodySent && !responseBegan && idempotent && !backendClosed;
    }

    /**
     * Whether a connection that failed to connect is opened again on the same replica, for any
     * method (nothing was sent): when it was closed on this side before it connected, which is no
     * answer of the replica's, once, and while its backend still takes requests. On epoll a new
     * socket can be handed an event of a descriptor closed in the same batch whose number it
     * reused (Netty keys registrations by descriptor); reading the unconnected socket fails and
     * closes it before its connect starts. A refused or timed-out connect is the replica's answer.
     *
     * @param cause         why the connect failed
     * @param reconnected   it was opened again already
     * @param backendClosed its backend was closed (its connections are closed on purpose)
     */
    static boolean mayReconnect(Throwable cause, boolean reconnected, boolean backendClosed) {
        return closedHere(cause) && !reconnected && !backendClosed;
    }

    /** A connect failed because the connection was closed on this side, not by the replica's answer. */
    static boolean closedHere(Throwable cause) {
        return cause instanceof java.nio.channels.ClosedChannelException;
    }
}
