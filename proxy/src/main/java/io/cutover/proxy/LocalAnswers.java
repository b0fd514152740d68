package io.cutover.proxy;

import io.cutover.proxy.http.RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

/**
 * The answers a client connection gets from the proxy itself rather than an app (maintenance,
 * no app for the host and path, the load balancer's health check, no version yet, a pause that
 * held the request too long or holds too many), each with its access-log line. One per server.
 */
final class LocalAnswers {
    private static final ByteBuf HEAD_END = Unpooled.unreleasableBuffer(
            Unpooled.wrappedBuffer(new byte[] {'\r', '\n', '\r', '\n'}));

    private final AccessLogSlot accessLog;

    LocalAnswers(AccessLogSlot accessLog) {
        this.accessLog = accessLog;
    }

    /**
     * Whether a route answered here is up: false for the load balancer's check while stopping or
     * taken out (read once: it may flip).
     */
    static boolean up(Route route) {
        return !(route instanceof LbHealth lb && !lb.isUp());
    }

    /**
     * The answer to a request routed to something other than a backend (or to nothing: no
     * version yet), logged; the head is released.
     *
     * @param client its client, after the trusted-proxy rules
     * @param keep   the answer keeps the connection open
     * @param up     what {@link #up} said of the route
     */
    ByteBuf routed(Route route, RequestHead head, String client, boolean keep, boolean up) {
        boolean headRequest = head.isHead();
        ByteBuf answer = route instanceof Maintenance m ? m.response(head.acceptsJson(), keep)
                : route instanceof NotFound n ? n.response(keep)
                : route instanceof LbHealth lb ? lb.response(keep, up) : ProxyError.NO_TARGET.response(keep);
        AccessLog log = accessLog.get();
        if (log != null && !(route instanceof LbHealth)) {     // a balancer's checks are not traffic
            log.log(AccessLogLines.answered(log, head, client, System.currentTimeMillis(),
                    route instanceof NotFound ? 404 : 503, headOnly(answer.duplicate(), headRequest).readableBytes()));
        }
        head.release();
        return headOnly(answer, headRequest);
    }

    /** The 503 to a request a pause held too long, or could not hold; logged; the head is released. */
    ByteBuf paused(Pause pause, RequestHead head, String client, boolean keep) {
        ByteBuf answer = headOnly(pause.response(keep), head.isHead());
        AccessLog log = accessLog.get();
        if (log != null) {
            log.log(AccessLogLines.answered(log, head, client, System.currentTimeMillis(), 503, answer.readableBytes()));
        }
        head.release();
        return answer;
    }

    /** An answer made here, without its body when the request was a HEAD (RFC 9110 9.3.2). */
    static ByteBuf headOnly(ByteBuf answer, boolean headRequest) {
        if (!headRequest) {
            return answer;
        }
        int end = ByteBufUtil.indexOf(HEAD_END, answer);
        return end < 0 ? answer : answer.slice(answer.readerIndex(), end - answer.readerIndex() + HEAD_END.readableBytes());
    }
}
