package io.cutover.proxy;

/** The access log every client connection reports to; one volatile read per request. */
final class AccessLogSlot {
    private volatile AccessLog log;

    void set(AccessLog l) {
        log = l;
    }

    AccessLog get() {
        return log;
    }
}
