package io.cutover.control.deploy;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * One deploy at a time, handed over in arrival order. A waiter gives up after its bound; either
 * way, a refusal names the deploy holding the lock. A permit may be taken on the thread that
 * accepts a deploy and given back on the one that ran it.
 */
public final class DeployLock {
    private final Semaphore permit = new Semaphore(1, true);
    private volatile Deployment holder;

    /** Another deploy holds the lock. */
    public static final class BusyException extends Exception {
        public BusyException(String message) {
            super(message);
        }
    }

    boolean tryAcquire(Deployment d) {
        if (permit.tryAcquire()) {
            holder = d;
            return true;
        }
        return false;
    }

    void acquire(Deployment d, Duration wait) throws BusyException, InterruptedException {
        if (!permit.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS)) {
            throw new BusyException("gave up after " + (wait.toSeconds() < 10 ? wait.toMillis() + " ms"
                    : wait.toSeconds() + " s") + " waiting for " + describeHolder() + " (cutover.app.lock-wait)");
        }
        holder = d;
    }

    void release() {
        holder = null;
        permit.release();
    }

    Deployment holder() {
        return holder;
    }

    String describeHolder() {
        Deployment h = holder;
        return h == null ? "another deploy" : h.describe();
    }
}
