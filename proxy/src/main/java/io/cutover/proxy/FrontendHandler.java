package io.cutover.proxy;

import io.cutover.proxy.http.Framing;
import io.cutover.proxy.http.RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a client connection. It routes each request on its own, so a keep-alive
 * connection follows a switch at its next request, and hands the request to an {@link Exchange}.
 * Between exchanges it owns the connection: its {@link Phase}, its timer ({@link ClientTimer}),
 * shutdown, half-close, refusals. Whether it reads is its {@link ReadGate}'s; a request a pause
 * holds is a {@link HeldRequest}; answers made here are {@link LocalAnswers}'.
 */
final class FrontendHandler extends ChannelInboundHandlerAdapter implements ClientSide, ReadGate.Sink {
    /** Fired on every client connection when a pause ends: a held request goes on. */
    static final Object RESUMED = new Object();
    /** How long an idle connection stays open after a graceful stop began, for a request already on its way. */
    static final long IDLE_LINGER_MILLIS = 1000;

    private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);

    /**
     * Where the connection is. A graceful stop is not a phase: it reaches a connection in any of
     * them ({@link #stop}), and changes what comes next (answers say close; idle, it lingers then
     * closes).
     */
    enum Phase {
        /** Open, no request answered yet: its client means to send one. */
        NEW,
        /** Between requests, after a response that kept the connection open. */
        IDLE,
        /** An {@link Exchange} relays a request to a backend and its response back. */
        FORWARDING,
        /** A request is held by a pause ({@link #held}); reading is off. */
        HELD,
        /** A close is on its way: after an answer that said close, an exchange cut, or an idle linger. */
        CLOSING,
        /** Closed, and its end handled. */
        ENDED
    }

    private final Routing routing;
    private final ProxySettings settings;
    private final RequestDecoder decoder;
    private final AccessLogSlot accessLog;
    private final LocalAnswers answers;
    private final Ticker ticker;
    private ChannelHandlerContext ctx;
    private ClientForwarding forwarding;
    private ClientTimer timer;
    private ReadGate gate;
    private Phase phase = Phase.NEW;
    /** The exchange under way: set in {@link Phase#FORWARDING} only. */
    private Exchange exchange;
    /** The request a pause holds: set in {@link Phase#HELD} only. */
    private HeldRequest held;
    /** Set when a graceful stop reached this connection: where its end is counted. */
    private StopTally stop;
    /** How this connection is ending, when this handler closes it; null: not by this handler. */
    private StopTally.End closingAs;

    FrontendHandler(Routing routing, ProxySettings settings, RequestDecoder decoder, AccessLogSlot accessLog,
                    LocalAnswers answers, Ticker ticker) {
        this.routing = routing;
        this.settings = settings;
        this.decoder = decoder;
        this.accessLog = accessLog;
        this.answers = answers;
        this.ticker = ticker;
    }

    Phase phase() {
        return phase;
    }

    /** The exchange under way, or null. */
    Exchange exchange() {
        return exchange;
    }

    @Override
    public String client(RequestHead head) {
        return forwarding.address(head);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.timer = new ClientTimer(ctx, this, settings, ticker);
        this.gate = new ReadGate(ctx.channel(), this);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        forwarding = new ClientForwarding(settings.trustedProxies(), ctx.channel().remoteAddress());
        timer.idle();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        gate.offer(msg);
    }

    @Override
    public boolean nowhereToGo() {
        return phase == Phase.HELD || phase == Phase.FORWARDING && exchange.requestDone() && !exchange.tunnelling();
    }

    @Override
    public void dispatch(Object msg) {
        if (msg instanceof ByteBuf bytes) {
            if (phase == Phase.FORWARDING) {
                exchange.fromClient(bytes);
            } else {
                bytes.release();    // the rest of a request already answered
            }
        } else if (msg instanceof RequestHead head) {
            onRequest(head);
        } else if (msg == Signal.BODY_END) {
            if (phase == Phase.FORWARDING) {
                exchange.requestEnded();
            }
        } else if (msg == Signal.HEAD_STARTED) {
            if (phase != Phase.FORWARDING) {
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
        if (phase == Phase.FORWARDING) {
            head.release();
            ctx.close();        // cannot happen: a request only goes on once the last one is done
            return;
        }
        Route route = routing.route(head, forwarding);
        if (route instanceof Pause pause) {
            hold(head, pause);
            return;
        }
        if (!(route instanceof Forward forward)) {
            // answered here: a body, if any, is not read, so the connection closes after the answer
            boolean up = LocalAnswers.up(route);
            boolean keep = keepAfterAnswer(head.keepAlive() && head.framing() == Framing.NONE && up);
            respond(answers.routed(route, head, client(head), keep, up), keep);
            return;
        }
        timer.busy();
        exchange = new Exchange(this, ctx, forward, head, forwarding, settings, accessLog.get(), ticker);
        if (forward.shadow() != null) {
            exchange.shadowedBy(forward.shadow().copy(head, forward.strip(), forwarding, ctx.channel().eventLoop(),
                    ctx.alloc()));
        }
        phase = Phase.FORWARDING;
        exchange.start();
    }

    /**
     * Holds a request while traffic is paused: reading stops (a body waits in the socket, or in
     * the gate), and it goes on when the pause ends, or is answered 503 after the pause's
     * timeout; with too many held already, at once.
     */
    private void hold(RequestHead head, Pause pause) {
        if (!pause.tryHold()) {
            answerHeld(head, pause);
            return;
        }
        HeldRequest h = new HeldRequest(head, pause);
        h.timeoutOn(ctx.executor(), () -> {
            if (held == h) {
                answerHeld(letGoHeld(), pause);
            }
        });
        held = h;
        phase = Phase.HELD;
        timer.busy();
        gate.stopReading();
    }

    /** The pause ended: the held request is routed again, then what waited behind it. */
    private void resumeHeld() {
        if (phase == Phase.HELD && held.resumable()) {
            onRequest(letGoHeld());
            gate.drain();
        }
    }

    /** Stops holding the held request; the caller moves the connection on with the head it gets. */
    private RequestHead letGoHeld() {
        RequestHead head = held.letGo();
        held = null;
        return head;
    }

    private void answerHeld(RequestHead head, Pause pause) {
        boolean keep = keepAfterAnswer(head.keepAlive() && head.framing() == Framing.NONE);
        respond(answers.paused(pause, head, client(head), keep), keep);
    }

    /** A request the decoder could not take: answered, and the connection closed. */
    private void onRefused(Refused refused) {
        ProxyError error = ProxyError.ofRequest(refused.cause());
        log.debug("refused a request from {}: {}", forwarding.clientIp(), refused.cause().getMessage());
        Exchange broken = phase == Phase.FORWARDING ? exchange : null;
        exchange = null;
        if (broken != null) {
            phase = Phase.CLOSING;      // either way: after the answer, or now
            broken.abort();     // a body that went bad after its head went on
        }
        if (broken != null && broken.responseStarted()) {
            ctx.close();
        } else {
            respond(error, false);
        }
    }

    @Override
    public void backendBlocked(boolean blocked) {
        gate.backendBlocked(blocked);
    }

    @Override
    public boolean stopping() {
        return stop != null;
    }

    @Override
    public void openTunnel() {
        decoder.tunnel();
    }

    @Override
    public void exchangeDone(boolean keepAlive) {
        exchange = null;
        gate.backendGone();
        if (keepAlive && !gate.clientDone()) {
            // the response said nothing of closing: its client may be sending the next request
            // already, even if a stop began meanwhile. It is read and answered (with Connection:
            // close, then); should none come within the linger, the connection closes idle.
            phase = Phase.IDLE;
            ctx.flush();
            timer.idle();
            decoder.resume();
            gate.drain();
            if (stopping() && phase == Phase.IDLE) {
                lingerThenClose();
            }
        } else {
            closeAfterWriting(keepAlive ? StopTally.End.CLOSED_BY_CLIENT : StopTally.End.ANSWERED_AND_CLOSED,
                    Unpooled.EMPTY_BUFFER);
        }
    }

    @Override
    public void exchangeFailed(ProxyError error, boolean keepAlive) {
        exchange = null;
        gate.backendGone();
        respond(error, keepAlive);
    }

    @Override
    public void exchangeCut() {
        exchange = null;
        closeNow(StopTally.End.CUT);
    }

    private void respond(ProxyError error, boolean keepAlive) {
        boolean keep = keepAfterAnswer(keepAlive);
        respond(error.response(keep), keep);
    }

    /** Whether the connection stays open after an answer made here: not while stopping, nor once the client is done. */
    private boolean keepAfterAnswer(boolean wanted) {
        return wanted && !stopping() && !gate.clientDone();
    }

    /** Writes an answer made here; then reads on, or closes. */
    private void respond(ByteBuf answer, boolean keep) {
        if (keep) {
            phase = Phase.IDLE;
            ctx.writeAndFlush(answer);
            timer.idle();
            decoder.resume();
            gate.drain();
        } else {
            closeAfterWriting(StopTally.End.ANSWERED_AND_CLOSED, answer);
        }
    }

    /** The connection closes, as {@code how}, once {@code last} (or what is queued) is written. */
    private void closeAfterWriting(StopTally.End how, ByteBuf last) {
        phase = Phase.CLOSING;
        closingAs = how;
        ctx.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
    }

    /** The connection closes now, as {@code how}. */
    private void closeNow(StopTally.End how) {
        phase = Phase.CLOSING;
        closingAs = how;
        ctx.close();
    }

    @Override
    public void armTimer(long deadline) {
        timer.arm(deadline);
    }

    /** The timer went off at {@code now}: time out the response or the body, the head, or the idle connection. */
    void onTimer(long now, boolean headTimedOut, boolean idleTimedOut) {
        if (phase == Phase.FORWARDING) {
            exchange.checkTimeouts(now);
        }
        if (phase == Phase.FORWARDING) {
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
        if (phase == Phase.FORWARDING && ctx.channel().isWritable()) {
            exchange.onClientWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Phase was = phase;
        phase = Phase.ENDED;
        timer.cancel();
        if (stop != null) {
            stop.count(closingAs != null ? closingAs
                    : was == Phase.FORWARDING || was == Phase.HELD ? StopTally.End.CUT : StopTally.End.CLOSED_BY_CLIENT);
        }
        if (was == Phase.HELD) {
            letGoHeld().release();
        }
        if (was == Phase.FORWARDING) {
            exchange.abort();
            exchange = null;
        }
        gate.releaseAll();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            gate.inputEnded();      // nothing more will come: answer what is under way, then close
            boolean underWay = phase == Phase.FORWARDING || phase == Phase.HELD;
            if (!underWay && gate.empty() || phase == Phase.FORWARDING && exchange.tunnelling()) {
                ctx.close();        // an upgraded connection the client ended is over
            }
        } else if (evt == RESUMED) {
            resumeHeld();
        } else if (evt instanceof StopTally.Stopping stopping) {
            if (stop != null || phase == Phase.ENDED || !ctx.channel().isActive()) {
                return;     // it ended before the stop reached it: not among the stop's connections
            }
            stop = stopping.tally();
            stop.reached.incrementAndGet();
            if (phase == Phase.HELD) {     // it will not be resumed here: answered, so the client knows it never went on
                Pause pause = held.pause();
                answerHeld(letGoHeld(), pause);
                return;
            }
            if (phase == Phase.IDLE) {
                // idle between requests: its client may be sending the next one right now, and
                // closing under it would fail that request. One that has not sent its first
                // request yet (NEW) is waited for (its client means to send one): answered and
                // closed, or closed by its idle timeout or the deadline.
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
            // closingAs set: a close is on its way already, after an answer whose bytes may still be queued
            if (closingAs == null && (phase == Phase.IDLE || phase == Phase.NEW) && gate.empty()
                    && !timer.headInProgress() && ctx.channel().isActive()) {
                closeNow(StopTally.End.CLOSED_IDLE);
            }
        }, IDLE_LINGER_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection {} failed", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
