package io.cutover.control.switching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.switching.RoutingLock.Hold;
import io.cutover.control.switching.RoutingLock.Holder;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RoutingLockTest {
    @Test
    void aRefusedReservationLeavesTheHolderAsItWas() {
        RoutingLock lock = new RoutingLock();
        assertTrue(lock.tryReserve(Holder.TAKEOVER));

        assertFalse(lock.tryReserve(Holder.RELOAD));
        assertFalse(lock.tryReserve(Holder.SWITCH, "a switch to 127.0.0.1:1"));

        assertEquals(new Hold(Holder.TAKEOVER, "takeover"), lock.hold());
        assertTrue(lock.heldBy(Holder.TAKEOVER));
        lock.release();
        assertFalse(lock.heldBy(Holder.TAKEOVER));
        assertTrue(lock.tryReserve(Holder.RELOAD), "free again once released");
    }

    @Test
    void aDeployWaitsForTheSwitchHoldingRoutingAndTakesItWhenTheSwitchEnds() throws Exception {
        RoutingLock lock = new RoutingLock();
        assertTrue(lock.tryReserve(Holder.SWITCH, "a switch to 127.0.0.1:1"));
        Thread deploy = new Thread(() -> lock.reserve(Holder.DEPLOY, "deploy d-1 (deploy of v2)"), "test-deploy");
        deploy.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (deploy.getState() != Thread.State.WAITING) {
            assertTrue(System.nanoTime() < deadline, "the deploy never waited");
            Thread.sleep(5);
        }
        assertTrue(lock.heldBy(Holder.SWITCH), "the switch still holds routing while the deploy waits");

        lock.release();
        deploy.join(TimeUnit.SECONDS.toMillis(10));

        assertFalse(deploy.isAlive());
        assertEquals(new Hold(Holder.DEPLOY, "deploy d-1 (deploy of v2)"), lock.hold());
    }
}
