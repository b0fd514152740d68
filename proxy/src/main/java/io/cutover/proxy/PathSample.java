package io.cutover.proxy;

import io.cutover.proxy.http.Framing;
import io.cutover.proxy.http.RequestHead;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A small sample of one app's recent GET request targets, as its versions get them (the app's
 * prefix stripped), which a new version is warmed up with before it takes traffic. A ring of
 * {@value #SIZE} entries: every GET until it is full, then one in {@value #EVERY} at random,
 * each overwriting the oldest. Offered every request on the event loop: an unsampled request
 * costs a volatile read and a thread-local random number, no lock and no allocation.
 *
 * <p>What it keeps: the path, and the query only when {@link #keepQueries} says so (a query may
 * carry a token). Never a header: requests with credentials (Authorization, Proxy-Authorization,
 * Cookie) are not sampled at all (their path may be a user's own, and replayed without them it
 * would only warm up the 401), nor requests with a body, upgrades (WebSocket; an h2c upgrade is
 * only an offer, which the JDK's HttpClient makes with every plain GET: those are sampled), or
 * absolute-form targets.
 */
public final class PathSample {
    /** How many targets it keeps. */
    public static final int SIZE = 128;
    /** Once full, one GET in this many is sampled. */
    static final int EVERY = 8;
    /** Longer targets are not kept (a sample stays small). */
    static final int MAX_LENGTH = 1024;

    private final AtomicReferenceArray<String> ring = new AtomicReferenceArray<>(SIZE);
    /** Targets sampled so far; the next goes to this modulo {@link #SIZE}. */
    private final AtomicLong sampled = new AtomicLong();
    private volatile boolean keepQueries;

    /**
     * Considers one request routed to a version of the app, on the event loop.
     *
     * @param strip how many bytes of its path the app's prefix takes off before it is forwarded
     */
    void offer(RequestHead head, int strip) {
        if (!"GET".equals(head.method())
                || (sampled.get() >= SIZE && ThreadLocalRandom.current().nextInt(EVERY) != 0)) {
            return;
        }
        // sampled: from here on it may cost a little (one request in EVERY)
        String target = head.target();
        if (target.isEmpty() || target.charAt(0) != '/' || target.length() > MAX_LENGTH
                || head.framing() != Framing.NONE || (head.upgrade() != null && !head.upgrade().equalsIgnoreCase("h2c"))
                || head.header("authorization") != null || head.header("proxy-authorization") != null
                || head.header("cookie") != null) {
            return;
        }
        String path = stripped(target, strip, keepQueries);
        ring.set((int) (sampled.getAndIncrement() % SIZE), path);
    }

    /** {@code target} as the app gets it: without its prefix's {@code strip} bytes, and without its query unless kept. */
    static String stripped(String target, int strip, boolean keepQueries) {
        String t = strip > 0 ? target.substring(Math.min(strip, target.length())) : target;
        if (!keepQueries) {
            int q = t.indexOf('?');
            t = q < 0 ? t : t.substring(0, q);
        }
        return t.isEmpty() || t.charAt(0) != '/' ? "/" + t : t;
    }

    /**
     * Whether queries are kept from now on; a change empties the sample (so that no query stays
     * once they are no longer to be kept).
     */
    public void keepQueries(boolean keep) {
        if (keep != keepQueries) {
            keepQueries = keep;
            for (int i = 0; i < SIZE; i++) {
                ring.set(i, null);
            }
        }
    }

    /** The targets in the sample now (duplicates kept: a path requested often is in it often); empty if none. */
    public List<String> targets() {
        List<String> out = new ArrayList<>(SIZE);
        for (int i = 0; i < SIZE; i++) {
            String t = ring.get(i);
            if (t != null) {
                out.add(t);
            }
        }
        return out;
    }
}
