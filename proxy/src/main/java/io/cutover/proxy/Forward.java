package io.cutover.proxy;

/**
 * A request that goes to an app: the {@link Backend} it is counted in on, how many bytes of its
 * path the app's prefix takes off before it is forwarded (0: none), the canary cookie its
 * response gives the client (null: none), and the {@link Shadow} that gets a copy of it (null:
 * none; set only on a request the shadow sampled). What {@link Routing} returns for a request an
 * app serves; without a cookie or shadow, one made once per backend and strip
 * ({@link Backend#forward}), so routing a request makes nothing.
 */
public record Forward(Backend backend, int strip, String canaryCookie, Shadow shadow) implements Route {

    public Forward(Backend backend, int strip, String canaryCookie) {
        this(backend, strip, canaryCookie, null);
    }

    /** The same forward, also copied to {@code s}. */
    Forward shadowedBy(Shadow s) {
        return new Forward(backend, strip, canaryCookie, s);
    }
}
