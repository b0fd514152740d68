package io.cutover.proxy;

/**
 * Where each finished request is reported, one entry per request, from the event loop that
 * served it: an implementation must not block (it hands the entry to a thread of its own, and
 * drops it rather than wait when that thread is behind).
 */
@FunctionalInterface
public interface AccessLog {
    /**
     * One request.
     *
     * @param epochMillis when its head arrived
     * @param client      the client's address, after the trusted-proxy rules
     * @param status      the status it got (0: its response was cut; 499: the client left)
     * @param bytesIn     request bytes received (head and body)
     * @param bytesOut    response bytes sent (head and body)
     * @param app         the app it went to ("-" if none)
     * @param version     the version that served it ("-" if none)
     * @param backend     the address it went to ("-" if none)
     * @param requestId   its X-Request-Id, as received or as given here
     * @param referer     its Referer, or null
     * @param userAgent   its User-Agent, or null
     */
    record Entry(long epochMillis, String client, String method, String target, int status, long bytesIn,
                 long bytesOut, long nanos, String app, String version, String backend, String requestId,
                 String referer, String userAgent) {
    }

    void log(Entry entry);

    /** Whether entries carry Referer and User-Agent (they cost a look through the head). */
    default boolean wantsAgents() {
        return false;
    }
}
