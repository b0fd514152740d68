package io.cutover.control.switching;

import java.util.Locale;
import java.util.concurrent.Semaphore;

/**
 * Who holds one app's routing: a manual switch from its health gate to its flip, a deploy from
 * its start to its end, a reload or a takeover while it takes the app out of service. One holder
 * at a time; the others are refused (or, for a deploy, wait). A permit, not a monitor, so that
 * async code can give it back from another thread, and so that a refusal never waits.
 */
public final class RoutingLock {

    /** What may hold routing. */
    public enum Holder {
        /** A manual switch ({@code POST /v1/switch}), from its health gate to its flip. */
        SWITCH,
        /** A deploy or rollback, from its start to its end. */
        DEPLOY,
        /** A reload of the configuration, while it changes or removes the app. */
        RELOAD,
        /** A takeover by a new cutover process, while the app's state is handed over. */
        TAKEOVER;

        /** How a refusal names it: {@code "reload"}, {@code "takeover"}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A hold: who, and how a refusal names it (e.g. {@code "deploy d-3 (deploy of v2)"}). */
    public record Hold(Holder holder, String name) {
    }

    private final Semaphore permit = new Semaphore(1);
    private volatile Hold hold;

    /** Takes routing if nobody holds it now, named by {@code by}'s label; false if somebody does. */
    public boolean tryReserve(Holder by) {
        return tryReserve(by, by.label());
    }

    /** Takes routing if nobody holds it now; false if somebody does. Never waits. */
    public boolean tryReserve(Holder by, String name) {
        if (!permit.tryAcquire()) {
            return false;
        }
        hold = new Hold(by, name);
        return true;
    }

    /**
     * Takes routing, waiting for the holder now to give it back (a deploy waits for a manual
     * switch in its health gate). Blocks: never on an event loop.
     */
    public void reserve(Holder by, String name) {
        permit.acquireUninterruptibly();
        hold = new Hold(by, name);
    }

    /** Gives routing back. */
    public void release() {
        hold = null;
        permit.release();
    }

    /** Who holds routing now, or null (also for a moment while a holder is taking or giving it). */
    public Hold hold() {
        return hold;
    }

    /** Whether {@code holder} holds routing now. */
    public boolean heldBy(Holder holder) {
        Hold h = hold;
        return h != null && h.holder() == holder;
    }
}
