package io.cutover.proxy;

import io.cutover.proxy.http.RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * The load balancer's health check, answered by cutover itself on the client listener (never
 * proxied): 200 while it serves, 503 once it is stopping, so that the balancer takes the host out
 * of rotation before cutover stops accepting. Only GET and HEAD of its exact path (any query).
 * An operator (a rolling deploy) can also take the host out while it serves on ({@link #leave}),
 * and put it back ({@link #join}); that lasts as long as this process. The checks answered are
 * counted, so that whoever took the host out sees the balancer notice.
 */
public final class LbHealth implements Route {
    private static final byte[] OK = answer(200, "OK", "ok\n", true);
    private static final byte[] OK_CLOSE = answer(200, "OK", "ok\n", false);
    private static final byte[] STOPPING = answer(503, "Service Unavailable", "stopping\n", false);
    private static final byte[] LEFT = answer(503, "Service Unavailable", "out of rotation\n", false);

    private final String path;
    private volatile boolean stopping;
    private volatile boolean out;
    private final java.util.concurrent.atomic.LongAdder answeredUp = new java.util.concurrent.atomic.LongAdder();
    private final java.util.concurrent.atomic.LongAdder answeredDown = new java.util.concurrent.atomic.LongAdder();

    public LbHealth(String path) {
        if (!path.startsWith("/") || path.indexOf('?') >= 0) {
            throw new IllegalArgumentException("the health path must start with / and hold no query, got '" + path + "'");
        }
        this.path = path;
    }

    public String path() {
        return path;
    }

    /** From now on the check fails (stopping), while requests are served as before. */
    public void stopping() {
        stopping = true;
    }

    public boolean isStopping() {
        return stopping;
    }

    /** From now on the check fails while requests are served as before, until {@link #join}. */
    public void leave() {
        out = true;
    }

    /** The check answers 200 again (unless stopping). */
    public void join() {
        out = false;
    }

    /** Whether an operator took the host out ({@link #leave}). */
    public boolean isOut() {
        return out;
    }

    /** Whether the check answers 200 now. */
    public boolean isUp() {
        return !stopping && !out;
    }

    /** How many checks were answered 200 since the start. */
    public long answeredUp() {
        return answeredUp.sum();
    }

    /** How many checks were answered 503 since the start. */
    public long answeredDown() {
        return answeredDown.sum();
    }

    boolean matches(RequestHead head) {
        String m = head.method();
        return ("GET".equals(m) || "HEAD".equals(m)) && head.pathEquals(path);
    }

    /**
     * The answer, as the caller read {@link #isStopping} once; the connection closes after a 503,
     * so the balancer's next check comes on a new one.
     */
    ByteBuf response(boolean keepAlive, boolean up) {
        (up ? answeredUp : answeredDown).increment();
        return Unpooled.wrappedBuffer(!up ? (stopping ? STOPPING : LEFT) : keepAlive ? OK : OK_CLOSE);
    }

    private static byte[] answer(int status, String reason, String body, boolean keepAlive) {
        return LocalAnswer.bytes(status, reason, "text/plain", body.getBytes(StandardCharsets.US_ASCII),
                "cache-control: no-store\r\n", keepAlive);
    }
}
