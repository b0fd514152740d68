package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

class BackendPoolTest {

    /** An open channel on the same loop as {@code other} (the pool keeps connections per loop). */
    private static EmbeddedChannel onLoopOf(EmbeddedChannel other) {
        EmbeddedChannel ch = new EmbeddedChannel(DefaultChannelId.newInstance(), false, false);
        other.eventLoop().register(ch).syncUninterruptibly();
        return ch;
    }

    @Test
    void connectionsTheirIdleTimeoutClosedAreLetGoWhenTheNextOneIsParked() {
        BackendPool pool = new BackendPool(Integer.MAX_VALUE);
        EmbeddedChannel first = new EmbeddedChannel();
        EmbeddedChannel second = onLoopOf(first);
        EmbeddedChannel third = onLoopOf(first);
        assertTrue(pool.offer(first));
        assertTrue(pool.offer(second));
        first.close();
        second.close();
        assertTrue(pool.offer(third));
        assertEquals(1, pool.size(), "the closed ones are no longer held");
        assertSame(third, pool.poll(third.eventLoop()));
    }

    @Test
    void aBoundOfZeroKeepsNoConnection() {
        BackendPool pool = new BackendPool(0);
        EmbeddedChannel ch = new EmbeddedChannel();
        assertFalse(pool.offer(ch));
        assertEquals(0, pool.size());
        ch.close();
    }

    @Test
    void aBoundIsKeptOnceClosedOnesAreLetGo() {
        BackendPool pool = new BackendPool(1);
        EmbeddedChannel first = new EmbeddedChannel();
        EmbeddedChannel second = onLoopOf(first);
        assertTrue(pool.offer(first));
        assertFalse(pool.offer(second), "full");
        first.close();
        assertTrue(pool.offer(second), "the closed one made room");
        second.close();
    }
}
