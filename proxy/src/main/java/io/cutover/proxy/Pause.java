package io.cutover.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pause: new requests are held (not failed) until {@link ProxyServer#resume}, each for at most
 * {@code timeout}, then answered 503 with {@code Retry-After}; at most {@code maxHeld} wait at
 * once, beyond which they get that answer at once. Requests under way finish. For a database
 * migration between two versions, as kamal-proxy's pause does.
 */
public final class Pause implements Route {
    private static final byte[] BODY = "paused: try again shortly\n".getBytes(StandardCharsets.US_ASCII);

    private final Duration timeout;
    private final int maxHeld;
    private final AtomicInteger held;
    /** Set when the pause ends: shared by the pauses that replaced one another, as the count is. */
    private final java.util.concurrent.atomic.AtomicBoolean over;
    private final byte[] answer;
    private final byte[] answerClose;

    /** @param before the pause this one replaces (its held requests still count), or null */
    Pause(Duration timeout, int maxHeld, Pause before) {
        this.timeout = timeout;
        this.maxHeld = maxHeld;
        this.held = before == null ? new AtomicInteger() : before.held;
        this.over = before == null ? new java.util.concurrent.atomic.AtomicBoolean() : before.over;
        long retryAfter = Math.max(1, timeout.toSeconds());
        this.answer = answer(retryAfter, true);
        this.answerClose = answer(retryAfter, false);
    }

    public Duration timeout() {
        return timeout;
    }

    public int maxHeld() {
        return maxHeld;
    }

    /** Requests waiting now. */
    public int held() {
        return held.get();
    }

    /** Counts a request in as held; false if {@code maxHeld} already wait. */
    boolean tryHold() {
        if (held.incrementAndGet() > maxHeld) {
            held.decrementAndGet();
            return false;
        }
        return true;
    }

    /** The pause ended (resume): its held requests go on. */
    void end() {
        over.set(true);
    }

    boolean over() {
        return over.get();
    }

    /** A held request stops waiting (resumed, timed out or gone). */
    void letGo() {
        held.decrementAndGet();
    }

    /** The longest a request may be held (a day): longer is a mistake, and overflows timers. */
    public static final Duration MAX_TIMEOUT = Duration.ofDays(1);

    /** 503 with Retry-After, for a request that waited too long, or found too many waiting. */
    ByteBuf response(boolean keepAlive) {
        return Unpooled.wrappedBuffer(keepAlive ? answer : answerClose);
    }

    private static byte[] answer(long retryAfterSeconds, boolean keepAlive) {
        return LocalAnswer.bytes(503, "Service Unavailable", "text/plain", BODY,
                "retry-after: " + retryAfterSeconds + "\r\n", keepAlive);
    }
}
