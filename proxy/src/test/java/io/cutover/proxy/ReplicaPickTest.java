package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** How a request picks one of its version's replicas: the pick on its own, time driven by hand. */
class ReplicaPickTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final Ticker ticker = now::get;

    private Backend backend(int replicas) {
        List<Target> targets = new ArrayList<>();
        List<InetSocketAddress> addresses = new ArrayList<>();
        for (int i = 0; i < replicas; i++) {
            Target t = new Target("127.0.0.1", 9000 + i);
            targets.add(t);
            addresses.add(t.resolve());
        }
        return new Backend("app", targets, addresses, "v1", TrafficObserver.NONE.forBackend("app", targets.get(0), "v1"),
                new Bootstrap(), 4, new DefaultChannelGroup(GlobalEventExecutor.INSTANCE), ticker);
    }

    private static Map<Replica, Integer> spread(Backend b, int picks) {
        Map<Replica, Integer> got = new HashMap<>();
        for (int i = 0; i < picks; i++) {
            got.merge(b.pick(0), 1, Integer::sum);
        }
        return got;
    }

    @Test
    void idleReplicasAreTakenInTurn() {
        Backend b = backend(3);
        Map<Replica, Integer> got = spread(b, 30);
        for (Replica r : b.replicas()) {
            assertEquals(10, got.get(r), "picks of " + r.target() + ": " + got);
        }
    }

    @Test
    void theReplicaWithTheFewestRequestsInFlightIsPicked() {
        Backend b = backend(3);
        Replica busy = b.replicas().get(0);
        Replica lessBusy = b.replicas().get(1);
        Replica idle = b.replicas().get(2);
        busy.enter();
        busy.enter();
        lessBusy.enter();
        for (int i = 0; i < 5; i++) {
            assertSame(idle, b.pick(0));
        }
        idle.enter();
        idle.enter();
        for (int i = 0; i < 5; i++) {
            assertSame(lessBusy, b.pick(0), "one in flight beats two");
        }
        assertEquals(2, busy.inFlight());
        busy.exit();
        busy.exit();
        assertSame(busy, b.pick(0));
    }

    @Test
    void aReplicaMarkedDownIsSkippedUntilMarkedUp() {
        Backend b = backend(2);
        Replica down = b.replicas().get(0);
        down.markDown("health check: 503");
        assertFalse(down.up());
        assertEquals("health check: 503", down.downReason());
        assertFalse(spread(b, 10).containsKey(down));
        now.addAndGet(TimeUnit.MINUTES.toNanos(5));
        assertFalse(spread(b, 10).containsKey(down), "held down: no trial, however long");
        down.markUp();
        assertTrue(down.up());
        assertNull(down.downReason());
        assertEquals(5, spread(b, 10).get(down));
    }

    @Test
    void whenEveryReplicaIsDownOneIsStillTriedInTurn() {
        Backend b = backend(2);
        b.replicas().forEach(r -> r.markDown("down"));
        Map<Replica, Integer> got = spread(b, 10);
        assertEquals(5, got.get(b.replicas().get(0)));
        assertEquals(5, got.get(b.replicas().get(1)));
    }

    @Test
    void aReplicaThatRefusedConnectionsGetsOneTrialAfterItsBackOff() {
        Backend b = backend(2);
        Replica refusing = b.replicas().get(0);
        refusing.connectFailed(new ConnectException("Connection refused"), ticker);
        assertFalse(refusing.up());
        assertTrue(refusing.passivelyDown());
        assertTrue(refusing.downReason().contains("Connection refused"), refusing.downReason());
        assertEquals(1, refusing.ejections());
        refusing.connectFailed(new ConnectException("Connection refused"), ticker);    // a request that raced it
        assertEquals(1, refusing.ejections(), "one ejection");
        assertFalse(spread(b, 10).containsKey(refusing), "within its back-off");

        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(Replica.FIRST_BACKOFF_MS));
        Map<Replica, Integer> got = spread(b, 10);
        assertEquals(1, got.get(refusing), "one trial once the back-off is over (not doubled by the race): " + got);

        refusing.connectFailed(new ConnectException("Connection refused"), ticker);    // the trial failed
        assertEquals(1, refusing.ejections(), "still the same ejection");
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(Replica.FIRST_BACKOFF_MS));
        assertFalse(spread(b, 10).containsKey(refusing), "a failed trial doubles the back-off");
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(Replica.FIRST_BACKOFF_MS));
        assertEquals(1, spread(b, 10).get(refusing));

        refusing.connected();       // the trial's connection opened
        assertTrue(refusing.up());
        assertEquals(5, spread(b, 10).get(refusing));
    }

    @Test
    void aRetryLooksOnlyAtUpReplicasAndLeavesADownOnesTrialForARequest() {
        Backend b = backend(3);
        Replica live = b.replicas().get(0);
        Replica refusing = b.replicas().get(1);
        Replica held = b.replicas().get(2);
        refusing.connectFailed(new ConnectException("Connection refused"), ticker);
        held.markDown("health check: 503");
        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(Replica.FIRST_BACKOFF_MS));     // refusing's trial is due
        assertNull(b.pickUp(Backend.bit(live)), "no other replica is up: the retry stays where it is");
        assertSame(live, b.pickUp(0));
        assertSame(refusing, b.pick(Backend.bit(live)), "the retries left its trial to a request");
    }

    @Test
    void triedReplicasAreLeftOutAndNoneLeftIsNull() {
        Backend b = backend(3);
        Replica first = b.replicas().get(0);
        Replica second = b.replicas().get(1);
        long tried = Backend.bit(first) | Backend.bit(second);
        for (int i = 0; i < 5; i++) {
            assertSame(b.replicas().get(2), b.pick(tried));
        }
        assertNull(b.pick(tried | Backend.bit(b.replicas().get(2))));
        second.markDown("down");
        assertSame(second, b.pick(Backend.bit(first) | Backend.bit(b.replicas().get(2))),
                "the only one left is tried even though it is down");
    }

    @Test
    void aSingleReplicaIsAlwaysTheAnswerAndCountsNothingOfItsOwn() {
        Backend b = backend(1);
        Replica only = b.replicas().get(0);
        assertSame(b.target(), only.target());
        only.markDown("down");
        assertSame(only, b.pick(0));
        assertNull(b.pick(Backend.bit(only)));
        only.enter();
        assertEquals(0, only.inFlight(), "its figure is the backend's");
        assertTrue(b.tryEnter());
        assertEquals(1, only.inFlight());
        assertNotEquals(null, b.toString());
    }

    @Test
    void aVersionsIdentityIsItsFirstReplica() {
        Backend b = backend(3);
        assertEquals(b.targets().get(0), b.target());
        assertEquals(3, b.targets().size());
        assertEquals(b.replicas().get(0).address(), b.address());
    }
}
