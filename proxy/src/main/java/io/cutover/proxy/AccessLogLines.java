package io.cutover.proxy;

import io.cutover.proxy.http.RequestHead;

/**
 * The access log's entry for one request, forwarded to an app or answered here; built on the
 * event loop while the request's head is still held (its fields are read from it).
 */
final class AccessLogLines {
    private AccessLogLines() {
    }

    /** A request that went to {@code backend} (its replica at {@code upstream}) and got {@code status} (0: cut; 499: the client left). */
    static AccessLog.Entry forwarded(AccessLog log, RequestHead head, String client, long startMillis, int status,
                                     long bytesIn, long bytesOut, long nanos, Backend backend,
                                     String upstream) {
        return new AccessLog.Entry(startMillis, client, head.method(), head.target(), status,
                bytesIn, bytesOut, nanos, backend.app(), backend.version(), upstream,
                head.requestId(), log.wantsAgents() ? head.header("referer") : null,
                log.wantsAgents() ? head.header("user-agent") : null);
    }

    /** A request answered by the proxy itself (no app, or maintenance, or no version yet, or a pause). */
    static AccessLog.Entry answered(AccessLog log, RequestHead head, String client, long epochMillis, int status,
                                    long bytesOut) {
        head.ensureRequestId();
        return new AccessLog.Entry(epochMillis, client, head.method(), head.target(), status,
                head.raw().readableBytes(), bytesOut, 0, "-", "-", "-", head.requestId(),
                log.wantsAgents() ? head.header("referer") : null, log.wantsAgents() ? head.header("user-agent") : null);
    }
}
