package io.cutover.proxy;

/**
 * Where each finished request is reported, one entry per request, from the event loop that
 * served it: an implementation must not block (it hands the entry to a thread of its own, and
 * drops it rather than wait when that thread is behind).
 */
@FunctionalInterface
public interface AccessLog {
    /**
     * One request. The fields a client chooses are cut here, on the event loop, to at most
     * {@link #MAX_TARGET} and the like (a cut one ends in {@code ...}), so that an entry waiting
     * to be written holds a few KiB at most, however long the request's target and headers.
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
        /** Longest logged target, referer, user agent, request id, client address and method (in chars). */
        public static final int MAX_TARGET = 2048;
        public static final int MAX_AGENT = 512;
        public static final int MAX_REQUEST_ID = 128;
        public static final int MAX_CLIENT = 64;
        public static final int MAX_METHOD = 32;
        /** What an entry costs beyond its strings: the object and its slot in a queue. */
        private static final int ENTRY_BYTES = 96;
        /** What a String costs beyond its characters (one byte each: the head is decoded as ISO-8859-1). */
        private static final int STRING_BYTES = 40;

        public Entry {
            client = cut(client, MAX_CLIENT);
            method = cut(method, MAX_METHOD);
            target = cut(target, MAX_TARGET);
            requestId = cut(requestId, MAX_REQUEST_ID);
            referer = cut(referer, MAX_AGENT);
            userAgent = cut(userAgent, MAX_AGENT);
        }

        /** The first {@code max} chars (the last three of them {@code ...}), a copy: the long one is not kept. */
        private static String cut(String s, int max) {
            return s == null || s.length() <= max ? s : s.substring(0, max - 3) + "...";
        }

        /** An estimate of the heap this entry holds while it waits to be written (its own strings, and the shared ones). */
        public long retainedBytes() {
            return ENTRY_BYTES + bytes(client) + bytes(method) + bytes(target) + bytes(app) + bytes(version)
                    + bytes(backend) + bytes(requestId) + bytes(referer) + bytes(userAgent);
        }

        private static long bytes(String s) {
            return s == null ? 0 : STRING_BYTES + (long) s.length();
        }
    }

    void log(Entry entry);

    /** Whether entries carry Referer and User-Agent (they cost a look through the head). */
    default boolean wantsAgents() {
        return false;
    }
}
