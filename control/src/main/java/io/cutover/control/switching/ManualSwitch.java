package io.cutover.control.switching;

import io.cutover.control.switching.RoutingLock.Hold;
import io.cutover.control.switching.RoutingLock.Holder;
import io.cutover.control.switching.SwitchService.Outcome;
import io.cutover.control.switching.SwitchService.SwitchInProgressException;
import io.cutover.proxy.Backend;
import io.cutover.proxy.Target;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * An operator's switch of one app ({@code POST /v1/switch}): it holds the app's routing from its
 * health gate to its flip, and is refused, naming the holder, while anything else holds it (a
 * deploy, a reload, a takeover, another switch). A switch to the target already active changes
 * nothing.
 */
public final class ManualSwitch {
    private final Switcher switcher;
    private final RoutingLock lock;

    public ManualSwitch(Switcher switcher, RoutingLock lock) {
        this.switcher = switcher;
        this.lock = lock;
    }

    /**
     * Switches traffic to {@code target} once it is healthy; see {@link Switcher#switchTo}. Fails
     * with {@link SwitchInProgressException} at once if the app's routing is held.
     */
    public CompletableFuture<Outcome> switchTo(Target target) {
        if (!lock.tryReserve(Holder.SWITCH, "a switch to " + target)) {
            return CompletableFuture.failedFuture(new SwitchInProgressException(refusal(lock.hold())));
        }
        CompletableFuture<Outcome> outcome;
        try {
            Backend current = switcher.active();
            outcome = current != null && current.target().equals(target)
                    ? CompletableFuture.completedFuture(
                            new Outcome(switcher.previous().target(), target, false, Duration.ZERO))
                    : switcher.switchTo(target);
        } catch (RuntimeException e) {
            lock.release();
            throw e;
        }
        return outcome.whenComplete((o, e) -> lock.release());
    }

    /** Why a switch is refused while {@code hold} holds routing. */
    static String refusal(Hold hold) {
        if (hold == null) {
            return "a switch or deploy is already running";     // it was taking or giving routing back just now
        }
        if (hold.holder() == Holder.SWITCH) {
            return hold.name() + " is already running";
        }
        return hold.name() + " is running and owns routing until it ends; switch after it (or roll back then)";
    }
}
