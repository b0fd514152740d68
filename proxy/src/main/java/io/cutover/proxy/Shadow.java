package io.cutover.proxy;

import io.cutover.proxy.http.Framing;
import io.cutover.proxy.http.HeadWriter;
import io.cutover.proxy.http.RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Shadow traffic: a candidate version that gets a copy of a share of the active version's
 * requests while it waits to take traffic, its answers read and thrown away, compared with the
 * active version's answers to the same requests ({@link ShadowStats}). Only GET and HEAD requests
 * without a body are copied, and only those the active version takes (not a canary's).
 *
 * <p>The sample is deterministic: of the eligible requests, in the order routing sees them, the
 * n-th is copied when {@code n * share} crosses a multiple of 10,000 (10%: every tenth). A copy goes
 * on a connection of its own to the candidate, opened on the client's event loop, with the request
 * head as the active version gets it plus {@value #HEADER}{@code : 1} and {@code Connection: close};
 * at most {@code maxInFlight} copies are under way at once, a sampled request beyond that is not
 * copied but counted as dropped. A copy never touches the client's connection or its exchange: the
 * exchange only tells it, when it ends, what the active version answered.
 */
public final class Shadow {
    /** The header every copy carries, so the candidate (and its logs) can tell a copy from a client's request. */
    public static final String HEADER = "x-cutover-shadow";
    private static final byte[] MARK = (HEADER + ": 1\r\nconnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);

    private final Backend candidate;
    private final int basisPoints;
    private final int maxInFlight;
    private final long timeoutNanos;
    private final Ticker ticker;
    private final ShadowStats stats = new ShadowStats();
    private final AtomicLong eligible = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();

    /**
     * @param candidate   where copies go: a backend never routed to (see {@link ProxyServer#newBackend})
     * @param basisPoints the share of eligible requests copied, in hundredths of a percent (1-10000)
     * @param maxInFlight copies under way at once, at most; a sampled request beyond that is dropped
     * @param timeout     how long a copy may take to be answered in full; then it is closed, a failure
     */
    public Shadow(Backend candidate, int basisPoints, int maxInFlight, Duration timeout) {
        this(candidate, basisPoints, maxInFlight, timeout, Ticker.SYSTEM);
    }

    Shadow(Backend candidate, int basisPoints, int maxInFlight, Duration timeout, Ticker ticker) {
        if (basisPoints < 1 || basisPoints > Canary.ALL) {
            throw new IllegalArgumentException("share must be 1-10000 basis points, got " + basisPoints);
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1, got " + maxInFlight);
        }
        this.candidate = candidate;
        this.basisPoints = basisPoints;
        this.maxInFlight = maxInFlight;
        this.timeoutNanos = timeout.toNanos();
        this.ticker = ticker;
    }

    public Backend candidate() {
        return candidate;
    }

    /** The share copied, in hundredths of a percent. */
    public int basisPoints() {
        return basisPoints;
    }

    /** What the copies came to so far. */
    public ShadowStats stats() {
        return stats;
    }

    /** Copies under way now. */
    public int inFlight() {
        return inFlight.get();
    }

    long timeoutNanos() {
        return timeoutNanos;
    }

    Ticker ticker() {
        return ticker;
    }

    /**
     * {@code f}, or (for a request of the sample) {@code f} marked to be copied here. Called by
     * routing once the request is counted in on {@code f}'s backend; {@code active} is the app's
     * active version.
     */
    Forward sampled(RequestHead head, Forward f, Backend active) {
        if (f.backend() != active || f.backend() == candidate || !eligible(head)) {
            return f;
        }
        long n = eligible.incrementAndGet();
        return n * basisPoints / Canary.ALL != (n - 1) * basisPoints / Canary.ALL ? f.shadowedBy(this) : f;
    }

    /** GET or HEAD, without a body, not asking for an upgrade: a request that may be sent twice. */
    static boolean eligible(RequestHead head) {
        String m = head.method();
        return ("GET".equals(m) || "HEAD".equals(m)) && head.framing() == Framing.NONE && head.upgrade() == null;
    }

    /**
     * Sends a copy of {@code head} to the candidate, on {@code loop} (the client's), unless
     * {@code maxInFlight} copies are under way already (then it is counted as dropped).
     *
     * @return the copy, to be told the active version's answer; null when none was sent
     */
    ShadowCopy copy(RequestHead head, int strip, HeadWriter.Forwarding forwarding, EventLoop loop,
                    ByteBufAllocator alloc) {
        if (candidate.closed()) {
            stats.dropped();        // given up: no new connection may be opened to it
            return null;
        }
        if (inFlight.incrementAndGet() > maxInFlight) {
            inFlight.decrementAndGet();
            stats.dropped();
            return null;
        }
        ByteBuf request = null;
        try {
            request = HeadWriter.request(alloc, head, strip, candidate.hostHeader(), forwarding);
            request.writerIndex(request.writerIndex() - 2);     // before the blank line that ends the head
            request.writeBytes(MARK);
        } catch (RuntimeException e) {     // no copy, but never a client's request lost over one
            if (request != null) {
                request.release();
            }
            inFlight.decrementAndGet();
            stats.dropped();
            return null;
        }
        stats.copied();
        ShadowCopy c = new ShadowCopy(this, request, head.isHead(), loop);
        c.start();
        return c;
    }

    /** A copy ended (answered, failed or timed out): its place is free. */
    void ended() {
        inFlight.decrementAndGet();
    }

    @Override
    public String toString() {
        return "Shadow[" + candidate.target() + ", " + basisPoints / 100.0 + "%]";
    }
}
