package io.cutover.proxy;

import io.cutover.proxy.http.RequestHead;
import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A request a {@link Pause} holds on its client connection: its head (its body, if any, waits
 * unread), the pause's count of it, and the timeout after which it is answered 503. Let go once:
 * resumed, timed out, answered at a stop, or its connection gone.
 */
final class HeldRequest {
    private final RequestHead head;
    private final Pause pause;
    private ScheduledFuture<?> timeout;

    /** Holds a request the pause has counted in ({@link Pause#tryHold}). */
    HeldRequest(RequestHead head, Pause pause) {
        this.head = head;
        this.pause = pause;
    }

    /** Runs {@code onTimeout} on {@code loop} once the pause's timeout has passed, unless let go before. */
    void timeoutOn(EventExecutor loop, Runnable onTimeout) {
        timeout = loop.schedule(onTimeout, pause.timeout().toNanos(), TimeUnit.NANOSECONDS);
    }

    Pause pause() {
        return pause;
    }

    /** Whether its pause ended: the request goes on. */
    boolean resumable() {
        return pause.over();
    }

    /** Stops holding: the pause's count is given back, the timeout cancelled; returns the head (the caller's now). */
    RequestHead letGo() {
        pause.letGo();
        if (timeout != null) {
            timeout.cancel(false);
        }
        return head;
    }
}
