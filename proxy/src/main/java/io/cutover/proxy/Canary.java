package io.cutover.proxy;

import io.cutover.proxy.http.RequestHead;
import java.util.List;
import java.util.Locale;

/**
 * A canary: a candidate version taking a share of an app's requests, in hundredths of a
 * percent. Each client is given a bucket (0-9999), remembered in the {@value #COOKIE} cookie
 * (signed: see {@link CanaryCookie}; one that does not verify is ignored, and replaced), or
 * for clients without cookies a hash of their address: the client goes to the canary when its
 * bucket is below the share, so it stays on its side while the share holds, and only moves to
 * the canary as the share grows. Requests that name an allowed header or cookie value always go
 * to the canary.
 */
public record Canary(Backend backend, int basisPoints, List<Allow> allow, CanaryCookie cookie) {
    /** The cookie that remembers a client's bucket. */
    public static final String COOKIE = "cutover-canary";
    public static final int ALL = 10_000;

    /** A header (or cookie, when {@code cookie}) whose value sends a request to the canary. */
    public record Allow(boolean cookie, String name, String value) {
        public Allow {
            name = cookie ? name : name.toLowerCase(Locale.ROOT);
        }
    }

    public Canary {
        if (basisPoints < 0 || basisPoints > ALL) {
            throw new IllegalArgumentException("share must be 0-10000 basis points, got " + basisPoints);
        }
        allow = List.copyOf(allow);
    }

    /** With a key held only in memory (tests, a proxy without a control plane). */
    public Canary(Backend backend, int basisPoints, List<Allow> allow) {
        this(backend, basisPoints, allow, CanaryCookie.random(backend.app()));
    }

    /** The same canary at another share. */
    public Canary share(int points) {
        return new Canary(backend, points, allow, cookie);
    }

    /**
     * Where this request of the canary's app goes, the canary or {@code active} (null: nowhere, no
     * version yet); a request with no bucket yet is given one, by the cookie of its response.
     */
    Forward route(RequestHead head, ClientAddress client, Backend active, int strip) {
        if (!allow.isEmpty() && allowed(head)) {
            return backend.forward(strip);
        }
        int bucket = cookie.bucket(head.cookie(COOKIE));
        if (bucket >= 0) {
            Backend b = bucket < basisPoints ? backend : active;
            return b == null ? null : b.forward(strip);
        }
        bucket = bucketOf(client.address(head));
        Backend b = bucket < basisPoints ? backend : active;
        return b == null ? null : new Forward(b, strip, cookie.value(bucket));     // the response gives the client its cookie
    }

    private boolean allowed(RequestHead head) {
        for (Allow a : allow) {
            String v = a.cookie() ? head.cookie(a.name()) : head.header(a.name());
            if (v != null && v.equals(a.value())) {
                return true;
            }
        }
        return false;
    }

    /** A client address's bucket: spread evenly, the same for the same address. */
    static int bucketOf(String address) {
        int h = address.hashCode();
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return Math.floorMod(h, ALL);
    }
}
