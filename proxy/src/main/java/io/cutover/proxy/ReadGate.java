package io.cutover.proxy;

import io.netty.channel.Channel;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * Whether a client connection reads. Reading is on (auto-read) while messages can go somewhere
 * and off while they cannot: while the backend connection is still opening or cannot take more of
 * the body, and while the connection's {@link Sink} says so (a complete request waits for its
 * response, a request is held). What was already read when reading stopped waits here, in order,
 * at most one read's worth. It also knows when the client has shut down its sending side.
 */
final class ReadGate {
    /** Where messages go, and whether they can go now. */
    interface Sink {
        /** Whether a message read now would have nowhere to go yet (besides a blocked backend). */
        boolean nowhereToGo();

        void dispatch(Object msg);
    }

    private final Channel channel;
    private final Sink sink;
    /** What was read and waits, in order; made when something first has to wait (most connections never do). */
    private ArrayDeque<Object> waiting;
    private boolean readingOff;
    private boolean backendBlocked;
    private boolean inputEnded;

    ReadGate(Channel channel, Sink sink) {
        this.channel = channel;
        this.sink = sink;
    }

    /** A message read: passed on, or kept in order (and reading stops) while it cannot go. */
    void offer(Object msg) {
        if (!empty() || mustWait()) {
            if (waiting == null) {
                waiting = new ArrayDeque<>(4);
            }
            waiting.add(msg);
            stopReading();
        } else {
            sink.dispatch(msg);
        }
    }

    private boolean mustWait() {
        return backendBlocked || sink.nowhereToGo();
    }

    /** The backend connection cannot take the body yet, or (false) can again: then what waited goes on. */
    void backendBlocked(boolean blocked) {
        backendBlocked = blocked;
        if (blocked) {
            stopReading();
        } else {
            drain();
        }
    }

    /** The exchange is over: its backend no longer blocks (what waited goes on at the next {@link #drain}). */
    void backendGone() {
        backendBlocked = false;
    }

    void stopReading() {
        if (!readingOff) {
            readingOff = true;
            channel.config().setAutoRead(false);
        }
    }

    /** Hands over what waited, in order, as far as it can go; reads again once nothing waits. */
    void drain() {
        while (!empty() && !mustWait() && channel.isActive()) {
            sink.dispatch(waiting.poll());
        }
        if (readingOff && empty() && !mustWait() && channel.isActive()) {
            readingOff = false;
            channel.config().setAutoRead(true);
        }
    }

    /** Whether nothing read waits. */
    boolean empty() {
        return waiting == null || waiting.isEmpty();
    }

    /** The client shut down its sending side: nothing more will come. */
    void inputEnded() {
        inputEnded = true;
    }

    /** Whether the client has sent all it will, and all of it went on: nothing more to answer after the current one. */
    boolean clientDone() {
        return inputEnded && empty();
    }

    /** The connection closed: what waited is released (heads too: they are reference counted). */
    void releaseAll() {
        while (!empty()) {
            ReferenceCountUtil.release(waiting.poll());
        }
    }
}
