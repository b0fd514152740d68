package io.cutover.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a client connection. It routes each request on its own, so a keep-alive
 * connection follows a switch at its next request, and hands the request to an {@link Exchange}.
 * Between exchanges it owns the connection: idle timeout, shutdown, errors.
 *
 * <p>Reading is on (auto-read) while messages can go somewhere and off while they cannot: while
 * the backend connection is still opening or cannot take more of the body, and while a complete
 * request waits for its response (a pipelined next request waits here, in order). What was
 * already read when reading stopped waits in a queue of at most one read's worth.
 */
final class FrontendHandler extends ChannelInboundHandlerAdapter {
    /** Fired on every client connection when the proxy shuts down gracefully. */
    static final Object SHUTDOWN = new Object();

    private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);

    private final Router router;
    private final ProxySettings settings;
    private final long idleTimeoutNanos;
    private final long headTimeoutNanos;
    private ChannelHandlerContext ctx;
    private String clientIp;
    private boolean fromTrustedProxy;
    private Exchange exchange;
    private long idleSince;
    private long headStartedAt = -1;
    private ScheduledFuture<?> timer;
    private long timerAt;
    private final ArrayDeque<Object> waiting = new ArrayDeque<>();
    private boolean upstreamBlocked;
    private boolean paused;
    private boolean closing;
    private boolean inputClosed;

    FrontendHandler(Router router, ProxySettings settings) {
        this.router = router;
        this.settings = settings;
        this.idleTimeoutNanos = settings.clientIdleTimeout().toNanos();
        this.headTimeoutNanos = settings.requestHeadTimeout().toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        clientIp = ForwardedHeaders.clientIp(ctx.channel().remoteAddress());
        fromTrustedProxy = ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress isa
                && settings.trustedProxies().trusts(isa.getAddress());
        becameIdle();
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
        return upstreamBlocked || exchange != null && exchange.requestDone() && !exchange.tunnelling();
    }

    private void dispatch(Object msg) {
        if (msg instanceof HAProxyMessage header) {
            onProxyHeader(header);
        } else if (msg instanceof HttpRequest request) {
            onRequest(request);
        } else if (msg instanceof HttpContent content) {
            onContent(content);
        } else if (msg instanceof ByteBuf bytes && exchange != null && exchange.tunnelling()) {
            exchange.fromClient(bytes);
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
                clientIp = source;
                fromTrustedProxy = settings.trustedProxies().trusts(source);
            }
        } finally {
            header.release();
        }
    }

    private void onRequest(HttpRequest request) {
        headStartedAt = -1;
        if (exchange != null) {
            ReferenceCountUtil.release(request);
            ctx.close();        // cannot happen: a request only goes on once the last one is done
            return;
        }
        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            log.debug("bad request from {}: {}", ctx.channel().remoteAddress(), cause.toString());
            ReferenceCountUtil.release(request);
            respond(ProxyError.ofBadRequest(cause), false);
            return;
        }
        if (!Framing.unambiguous(request)) {
            log.debug("ambiguous framing from {}: {}", ctx.channel().remoteAddress(),
                    request.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING));
            respond(ProxyError.BAD_REQUEST, false);
            return;
        }
        long limit = settings.maxBodySize();
        if (limit > 0 && HttpUtil.getContentLength(request, 0L) > limit) {
            respond(ProxyError.BODY_TOO_LARGE, false);
            return;
        }
        Backend backend = router.route();
        if (backend == null) {
            respond(ProxyError.NO_TARGET, HttpUtil.isKeepAlive(request) && !hasBody(request));
            return;
        }
        idleSince = -1;
        try {
            exchange = new Exchange(this, ctx, backend, request, settings, clientIp, fromTrustedProxy);
        } catch (RuntimeException e) {
            backend.exit();     // counted in by route(); no exchange will give the count back
            log.debug("cannot forward request from {}", ctx.channel().remoteAddress(), e);
            respond(ProxyError.BAD_REQUEST, false);
            return;
        }
        exchange.start();
    }

    private void onContent(HttpContent content) {
        if (content.decoderResult().isFailure()) {
            content.release();
            Exchange broken = exchange;
            exchange = null;
            if (broken != null) {
                broken.abort();
            }
            if (broken == null || !broken.responseStarted()) {
                respond(ProxyError.BAD_REQUEST, false);
            } else {
                ctx.close();
            }
        } else if (exchange != null) {
            exchange.onRequestContent(content);
        } else {
            content.release();      // the rest of a request already answered
        }
    }

    /** Whether a body follows the head (RFC 9112 section 6.3: only framing headers say so). */
    static boolean hasBody(HttpRequest request) {
        return HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
    }

    /** The exchange's backend connection cannot take the body yet (opening, or its buffer is full). */
    void upstreamBlocked(boolean blocked) {
        upstreamBlocked = blocked;
        if (blocked) {
            pause();
        } else {
            resume();
        }
    }

    private void pause() {
        if (!paused) {
            paused = true;
            ctx.channel().config().setAutoRead(false);
        }
    }

    /** Hands over what waited, in order, as far as it can go; reads again once nothing waits. */
    private void resume() {
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

    /** The exchange delivered its whole response; read the next request or close. */
    void exchangeDone(boolean keepAlive) {
        exchange = null;
        upstreamBlocked = false;
        if (keepAlive && !closing && !(inputClosed && waiting.isEmpty())) {
            ctx.flush();
            becameIdle();
            resume();
        } else {
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /**
     * The exchange failed before its response started. The connection is kept only when the
     * request is complete, or has no body and just its (empty) end is still to be read.
     */
    void exchangeFailed(ProxyError error, boolean keepAlive) {
        exchange = null;
        upstreamBlocked = false;
        respond(error, keepAlive);
    }

    /** The exchange failed mid-response: the client cannot be told, only cut off. */
    void exchangeCut() {
        exchange = null;
        ctx.close();
    }

    private void respond(ProxyError error, boolean keepAlive) {
        boolean keep = keepAlive && !closing && !(inputClosed && waiting.isEmpty());
        ChannelFuture written = ctx.writeAndFlush(error.toResponse(keep));
        if (keep) {
            becameIdle();
            resume();
        } else {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Bytes came in: if no exchange is running they begin a request head, which is now timed. */
    void bytesArrived() {
        if (exchange == null && headStartedAt < 0 && waiting.isEmpty()) {
            headStartedAt = System.nanoTime();
            armTimer(headStartedAt + headTimeoutNanos);
        }
    }

    private void becameIdle() {
        idleSince = System.nanoTime();
        armTimer(idleSince + idleTimeoutNanos);
    }

    /**
     * One timer per connection covers its idle timeout and its exchange's response timeout. It is
     * only rescheduled when a deadline earlier than the pending one appears, so the usual request
     * schedules nothing.
     */
    void armTimer(long deadline) {
        if (timer != null && deadline - timerAt >= 0) {
            return;
        }
        if (timer != null) {
            timer.cancel(false);
        }
        timerAt = deadline;
        timer = ctx.executor().schedule(this::onTimer, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    private void onTimer() {
        timer = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        long now = System.nanoTime();
        if (exchange != null) {
            exchange.checkResponseTimeout(now);
        }
        if (exchange != null) {
            armTimer(Math.min(exchange.responseDeadline(), now + idleTimeoutNanos));
        } else if (headStartedAt >= 0 && now - headStartedAt >= headTimeoutNanos) {
            respond(ProxyError.REQUEST_TIMEOUT, false);
        } else if (idleSince >= 0 && now - idleSince >= idleTimeoutNanos) {
            ctx.close();
        } else if (timer == null) {
            long next = idleSince >= 0 ? idleSince + idleTimeoutNanos : now + idleTimeoutNanos;
            armTimer(headStartedAt >= 0 ? Math.min(next, headStartedAt + headTimeoutNanos) : next);
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
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
        if (exchange != null) {
            exchange.abort();
            exchange = null;
        }
        while (!waiting.isEmpty()) {
            ReferenceCountUtil.release(waiting.poll());
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputClosed = true;     // nothing more will come: answer what is under way, then close
            if (exchange == null && waiting.isEmpty() || exchange != null && exchange.tunnelling()) {
                ctx.close();        // an upgraded connection the client ended is over
            }
        } else if (evt == SHUTDOWN) {
            closing = true;
            if (exchange == null) {
                ctx.close();
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("client connection {} failed", ctx.channel().remoteAddress(), cause);
        ctx.close();
    }
}
