package io.cutover.proxy;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Idle keep-alive connections to one backend, kept per event loop so that a client connection
 * only ever reuses a backend connection of its own loop: no locks, no cross-thread hand-off.
 * Each deque is touched only from its own loop.
 */
final class BackendPool {
    private final int maxIdlePerLoop;
    private final Map<EventLoop, ArrayDeque<Channel>> idle = new ConcurrentHashMap<>();

    BackendPool(int maxIdlePerLoop) {
        this.maxIdlePerLoop = maxIdlePerLoop;
    }

    /** The most recently parked live connection of this loop, or null. */
    Channel poll(EventLoop loop) {
        ArrayDeque<Channel> parked = idle.get(loop);
        if (parked == null) {
            return null;
        }
        Channel ch;
        while ((ch = parked.pollLast()) != null) {
            if (ch.isActive()) {
                return ch;
            }
        }
        return null;
    }

    /** Parks a connection; false when this loop already keeps as many as allowed. */
    boolean offer(Channel ch) {
        ArrayDeque<Channel> parked = idle.computeIfAbsent(ch.eventLoop(), l -> new ArrayDeque<>());
        // the oldest come first and their idle timeout closes them first: let go of those
        while (!parked.isEmpty() && !parked.peekFirst().isActive()) {
            parked.pollFirst();
        }
        if (parked.size() >= maxIdlePerLoop) {
            parked.removeIf(c -> !c.isActive());
            if (parked.size() >= maxIdlePerLoop) {
                return false;
            }
        }
        parked.addLast(ch);
        return true;
    }

    /** Closes every parked connection, each on its own loop. */
    void closeAll() {
        idle.forEach((loop, parked) -> loop.execute(() -> {
            Channel ch;
            while ((ch = parked.pollFirst()) != null) {
                ch.close();
            }
        }));
    }

    /** Parked connections right now (for status; read racily across loops). */
    int size() {
        int n = 0;
        for (ArrayDeque<Channel> parked : idle.values()) {
            n += parked.size();
        }
        return n;
    }
}
