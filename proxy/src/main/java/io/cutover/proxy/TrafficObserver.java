package io.cutover.proxy;

/**
 * Watches requests as they end, per backend (the control plane counts them with Micrometer). The
 * proxy asks once per backend, so an implementation can resolve its meters up front and keep the
 * per-request call cheap.
 */
public interface TrafficObserver {
    TrafficObserver NONE = (app, target, version) -> (status, nanos) -> { };

    /** Status recorded for a request whose client went away before its response was done. */
    int CLIENT_GONE = 499;
    /**
     * Status recorded for a request whose client sent its body too slowly (it got a 408, its
     * access log line says 408): the client's failure, not the app's.
     */
    int CLIENT_TOO_SLOW = 498;

    RequestObserver forBackend(String app, Target target, String version);

    /** One backend's requests. */
    @FunctionalInterface
    interface RequestObserver {
        /**
         * @param status the status the client got (502/504 for failures mapped by the proxy,
         *               {@link #CLIENT_GONE} when the client left, {@link #CLIENT_TOO_SLOW} when its
         *               body was too slow, 0 when the response was cut)
         * @param nanos  from the request head to the end of the response
         */
        void ended(int status, long nanos);
    }
}
