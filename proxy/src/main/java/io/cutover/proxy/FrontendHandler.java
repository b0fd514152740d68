package io.cutover.proxy;

import io.cutover.proxy.http.Framing;
import io.cutover.proxy.http.RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a client connection. It routes each request on its own, so a keep-alive
 * connection follows a switch at its next request, and hands the request to an {@link Exchange}.
 * Between exchanges it owns the connection: its timer ({@link ClientTimer}), shutdown,
 * half-close, refusals.
 *
 * <p>Reading is on (auto-read) while messages can go somewhere and off while they cannot: while
 * the backend connection is still opening or cannot take more of the body, and while a complete
 * request waits for its response (a pipelined next request waits here, in order). What was
 * already read when reading stopped waits in a queue of at most one read's worth.
 */
final class FrontendHandler extends ChannelInboundHandlerAdapter {
    /** Fired on every client connection when a pause ends: a held request goes on. */
    static final Object RESUMED = new Object();
    /** How long an idle connection stays open after a graceful shutdown began, for a request already on its way. */
    static final long IDLE_LINGER_MILLIS = 1000;
    private static final ByteBuf HEAD_END = Unpooled.unreleasableBuffer(
            Unpooled.wrappedBuffer(new byte[] {'\r', '\n', '\r', '\n'}));

    private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);

    private final Routing routing;
    private final ProxySettings settings;
    private final RequestDecoder decoder;
    private final ArrayDeque<Object> waiting = new ArrayDeque<>(4);
    /** A request held by a pause (its body, if any, waits in {@link #waiting}), and that pause. */
    private RequestHead held;
    private Pause heldBy;
    private ScheduledFuture<?> heldTimeout;
    private ChannelHandlerContext ctx;
    private ClientForwarding forwarding;
    private ClientTimer timer;
    private Exchange exchange;
    private boolean upstreamBlocked;
    private boolean paused;
    private boolean closing;
    private boolean inputClosed;
    /** Whether a response went out on this connection (it is a keep-alive one, between requests, when idle). */
    private boolean answeredOne;
    /** Whether the connection is closed and its end handled ({@link #channelInactive}). */
    private boolean ended;
    /** Set when a graceful stop began: where this connection's end is counted. */
    private StopTally stopTally;
    /** How this connection is ending, when this handler closes it during a stop; null: not by this handler. */
    private StopTally.End ending;

    private final AccessLogSlot accessLog;

    FrontendHandler(Routing routing, ProxySettings settings, RequestDecoder decoder, AccessLogSlot accessLog) {
        this.routing = routing;
        this.settings = settings;
        this.decoder = decoder;
        this.accessLog = accessLog;
    }

    /** Where finished requests are reported now, or null. */
    AccessLog accessLog() {
        return accessLog.get();
    }

    /** The client, after the trusted-proxy rules, for a request. */
    String client(RequestHead head) {
        return forwarding.address(head);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.timer = new ClientTimer(ctx, this, settings);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        forwarding = new ClientForwarding(settings.trustedProxies(), ctx.channel().remoteAddress());
        timer.idle();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!waiting.isEmpty() || mustWait()) {
            waiting.add(msg);
            pause();
        } else {
            dispatch(msg);
        }
    }

    /** Whether a message read now would have nowhere to go yet. */
    private boolean mustWait() {
        return held != null || upstreamBlocked || exchange != null && exchange.requestDone() && !exchange.tunnelling();
    }

    private void dispatch(Object msg) {
        if (msg instanceof ByteBuf bytes) {
            if (exchange != null) {
                exchange.fromClient(bytes);
            } else {
                bytes.release();    // the rest of a request already answered
            }
        } else if (msg instanceof RequestHead head) {
            onRequest(head);
        } else if (msg == Signal.BODY_END) {
            if (exchange != null) {
                exchange.requestEnded();
            }
        } else if (msg == Signal.HEAD_STARTED) {
            if (exchange == null) {
                timer.headStarted();
            }
        } else if (msg instanceof Refused refused) {
            onRefused(refused);
        } else if (msg instanceof HAProxyMessage header) {
            onProxyHeader(header);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    /**
     * The PROXY protocol header of a load balancer that passes TCP through: the client is the
     * source it names, for the forwarding headers and for trust alike.
     */
    private void onProxyHeader(HAProxyMessage header) {
        try {
            String source = header.sourceAddress();
            if (source != null) {
                forwarding.client(source, settings.trustedProxies().trusts(source));
            }
        } finally {
            header.release();
        }
    }

    private void onRequest(RequestHead head) {
        timer.headDone();
        if (exchange != null) {
            head.release();
            ctx.close();        // cannot happen: a request only goes on once the last one is done
            return;
        }
        Route route = routing.route(head, forwarding);
        if (route instanceof Pause pause) {
            hold(head, pause);
            return;
        }
        if (!(route instanceof Backend backend)) {
            // answered here: a body, if any, is not read, so the connection closes after the answer
            boolean up = !(route instanceof LbHealth lb && lb.isStopping());     // read once: it may flip
            boolean keep = keepAfterAnswer(head.keepAlive() && head.framing() == Framing.NONE && up);
            boolean headRequest = head.isHead();
            ByteBuf answer = route instanceof Maintenance m ? m.response(head.acceptsJson(), keep)
                    : route instanceof NotFound n ? n.response(keep)
                    : route instanceof LbHealth lb ? lb.response(keep, up) : ProxyError.NO_TARGET.response(keep);
            AccessLog log = accessLog.get();
            if (log != null && !(route instanceof LbHealth)) {     // a balancer's checks are not traffic
                Exchange.logAnswered(log, head, client(head), route instanceof NotFound ? 404 : 503,
                        headOnly(answer.duplicate(), headRequest).readableBytes());
            }
            head.release();
            respond(headOnly(answer, headRequest), keep);
            return;
        }
        timer.busy();
        exchange = new Exchange(this, ctx, backend, head, forwarding, settings);
        exchange.start();
    }

    /**
     * Holds a request while traffic is paused: reading stops (a body waits in the socket, or in
     * {@link #waiting}), and it goes on when the pause ends, or is answered 503 after the pause's
     * timeout; with too many held already, at once.
     */
    private void hold(RequestHead head, Pause pause) {
        if (!pause.tryHold()) {
            answerHeld(head, pause);
            return;
        }
        heldTimeout = ctx.executor().schedule(() -> {
            if (held == head) {
                letGoHeld();
                answerHeld(head, pause);
            }
        }, pause.timeout().toNanos(), TimeUnit.NANOSECONDS);
        held = head;
        heldBy = pause;
        timer.busy();
        pause();
    }

    /** The pause ended: the held request is routed again, then what waited behind it. */
    private void resumeHeld() {
        if (held != null && heldBy.over()) {
            RequestHead head = held;
            letGoHeld();
            onRequest(head);
            drainWaiting();
        }
    }

    private void letGoHeld() {
        heldBy.letGo();
        heldTimeout.cancel(false);
        held = null;
        heldBy = null;
    }

    private void answerHeld(RequestHead head, Pause pause) {
        boolean keep = keepAfterAnswer(head.keepAlive() && head.framing() == Framing.NONE);
        boolean headOnly = head.isHead();
        ByteBuf answer = headOnly(pause.response(keep), headOnly);
        AccessLog log = accessLog.get();
        if (log != null) {
            Exchange.logAnswered(log, head, client(head), 503, answer.readableBytes());
        }
        head.release();
        respond(answer, keep);
    }

    /** An answer made here, without its body when the request was a HEAD (RFC 9110 9.3.2). */
    private static ByteBuf headOnly(ByteBuf answer, boolean headRequest) {
        if (!headRequest) {
            return answer;
        }
        int end = ByteBufUtil.indexOf(HEAD_END, answer);
        return end < 0 ? answer : answer.slice(answer.readerIndex(), end - answer.readerIndex() + HEAD_END.readableBytes());
    }

    /** A request the decoder could not take: answered, and the connection closed. */
    private void onRefused(Refused refused) {
        ProxyError error = ProxyError.ofRequest(refused.cause());
        log.debug("refused a request from {}: {}", forwarding.clientIp(), refused.cause().getMessage());
        Exchange broken = exchange;
        exchange = null;
        if (broken != null) {
            broken.abort();     // a body that went bad after its head went on
        }
        if (broken != null && broken.responseStarted()) {
            ctx.close();
        } else {
            respond(error, false);
        }
    }

    /** The exchange's backend connection cannot take the body yet (opening, or its buffer is full). */
    void upstreamBlocked(boolean blocked) {
        upstreamBlocked = blocked;
        if (blocked) {
            pause();
        } else {
            drainWaiting();
        }
    }

    private void pause() {
        if (!paused) {
            paused = true;
            ctx.channel().config().setAutoRead(false);
        }
    }

    /** Hands over what waited, in order, as far as it can go; reads again once nothing waits. */
    private void drainWaiting() {
        while (!waiting.isEmpty() && !mustWait() && ctx.channel().isActive()) {
            dispatch(waiting.poll());
        }
        if (paused && waiting.isEmpty() && !mustWait() && ctx.channel().isActive()) {
            paused = false;
            ctx.channel().config().setAutoRead(true);
        }
    }

    boolean closing() {
        return closing;
    }

    /** The backend accepted an upgrade: from now on the client's bytes pass through. */
    void openTunnel() {
        decoder.tunnel();
    }

    /** The exchange delivered its whole response; read the next request or close. */
    void exchangeDone(boolean keepAlive) {
        exchange = null;
        answeredOne = true;
        upstreamBlocked = false;
        if (keepAlive && !(inputClosed && waiting.isEmpty())) {
            // the response said nothing of closing: its client may be sending the next request
            // already, even if a stop began meanwhile. It is read and answered (with Connection:
            // close, then); should none come within the linger, the connection closes idle.
            ctx.flush();
            timer.idle();
            decoder.resume();
            drainWaiting();
            if (closing && exchange == null && held == null) {
                lingerThenClose();
            }
        } else {
            ending = keepAlive ? StopTally.End.CLOSED_BY_CLIENT : StopTally.End.ANSWERED_AND_CLOSED;
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * The exchange failed before its response started. The connection is kept only when the
     * request is complete (or has no body).
     */
    void exchangeFailed(ProxyError error, boolean keepAlive) {
        exchange = null;
        upstreamBlocked = false;
        respond(error, keepAlive);
    }

    /** The exchange failed mid-response: the client cannot be told, only cut off. */
    void exchangeCut() {
        exchange = null;
        ending = StopTally.End.CUT;
        ctx.close();
    }

    private void respond(ProxyError error, boolean keepAlive) {
        boolean keep = keepAfterAnswer(keepAlive);
        respond(error.response(keep), keep);
    }

    /** Whether the connection stays open after an answer made here: not while closing, nor once the client is done. */
    private boolean keepAfterAnswer(boolean wanted) {
        return wanted && !closing && !(inputClosed && waiting.isEmpty());
    }

    /** Writes an answer made here; then reads on, or closes. */
    private void respond(ByteBuf answer, boolean keep) {
        answeredOne = true;
        ChannelFuture written = ctx.writeAndFlush(answer);
        if (keep) {
            timer.idle();
            decoder.resume();
            drainWaiting();
        } else {
            ending = StopTally.End.ANSWERED_AND_CLOSED;
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Arms the connection's timer for one of an exchange's deadlines (response, body). */
    void armTimer(long deadline) {
        timer.arm(deadline);
    }

    /** The timer went off at {@code now}: time out the response or the body, the head, or the idle connection. */
    void onTimer(long now, boolean headTimedOut, boolean idleTimedOut) {
        if (exchange != null) {
            exchange.checkTimeouts(now);
        }
        if (exchange != null) {
            timer.arm(Math.min(exchange.deadline(), now + settings.clientIdleTimeout().toNanos()));
        } else if (headTimedOut) {
            respond(ProxyError.REQUEST_TIMEOUT, false);
        } else if (idleTimedOut) {
            ctx.close();
        } else {
            timer.rearm(now);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (exchange != null && ctx.channel().isWritable()) {
            exchange.onClientWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        ended = true;
        timer.cancel();
        if (stopTally != null) {
            stopTally.count(ending != null ? ending
                    : exchange != null || held != null ? StopTally.End.CUT : StopTally.End.CLOSED_BY_CLIENT);
        }
        if (held != null) {
            RequestHead h = held;
            letGoHeld();
            h.release();
        }
        if (exchange != null) {
            exchange.abort();
            exchange = null;
        }
        while (!waiting.isEmpty()) {
            ReferenceCountUtil.release(waiting.poll());     // heads too: they are reference counted
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputClosed = true;     // nothing more will come: answer what is under way, then close
            if (exchange == null && held == null && waiting.isEmpty() || exchange != null && exchange.tunnelling()) {
                ctx.close();        // an upgraded connection the client ended is over
            }
        } else if (evt == RESUMED) {
            resumeHeld();
        } else if (evt instanceof StopTally.Stopping stopping) {
            if (stopTally != null || ended || !ctx.channel().isActive()) {
                return;     // it ended before the stop reached it: not among the stop's connections
            }
            closing = true;
            stopTally = stopping.tally();
            stopTally.reached.incrementAndGet();
            if (held != null) {     // it will not be resumed here: answered, so the client knows it never went on
                RequestHead head = held;
                Pause pause = heldBy;
                letGoHeld();
                answerHeld(head, pause);
                return;
            }
            if (exchange == null && answeredOne) {
                // idle between requests: its client may be sending the next one right now, and
                // closing under it would fail that request. One that has not sent its first
                // request yet is waited for (its client means to send one): answered and closed,
                // or closed by its idle timeout or the deadline.
                lingerThenClose();
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    /**
     * While stopping, a connection between requests whose last response said keep-alive: a
     * request that comes within the linger is answered (with Connection: close); one still idle
     * then, with nothing of a request read, is closed.
     */
    private void lingerThenClose() {
        ctx.executor().schedule(() -> {
            // a head on its way is left to its own timeout (answered, or 408)
            // ending set: a close is on its way already, after an answer whose bytes may still be queued
            if (ending == null && exchange == null && held == null && waiting.isEmpty() && !timer.headInProgress()
                    && ctx.channel().isActive()) {
                ending = StopTally.End.CLOSED_IDLE;
                ctx.close();
            }
        }, IDLE_LINGER_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection {} failed", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
