package io.cutover.proxy;

/**
 * A request that goes to an app: the {@link Backend} it is counted in on, how many bytes of its
 * path the app's prefix takes off before it is forwarded (0: none), and the canary cookie its
 * response gives the client (null: none). What {@link Routing} returns for a request an app
 * serves; without a cookie, one made once per backend and strip ({@link Backend#forward}), so
 * routing a request makes nothing.
 */
public record Forward(Backend backend, int strip, String canaryCookie) implements Route {
}
