package io.cutover.proxy;

import io.cutover.proxy.ProxyError.BadResponseException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request and its response, relayed between a client connection and a backend connection.
 * Both connections live on the same event loop, so nothing here is shared between threads.
 *
 * <p>Back-pressure both ways follows writability: reading from the client stops while the
 * backend connection cannot take more (or is still opening), and reading from the backend stops
 * while the client connection cannot. Nothing is aggregated; at most one read's worth plus the
 * channel's write buffer is held per direction.
 *
 * <p>The exchange owns one count in its backend's in-flight figure from routing until it ends
 * (complete, failed, cut or aborted); {@link #finished} makes sure it gives it back exactly once.
 */
final class Exchange {
    private static final Logger log = LoggerFactory.getLogger(Exchange.class);

    private final FrontendHandler front;
    private final ChannelHandlerContext client;
    private final Backend backend;
    private final HttpRequest request;
    private final long responseTimeoutNanos;
    private final long maxBodySize;
    private long bodyBytes;
    private final long startNanos = System.nanoTime();
    private int status;
    private final boolean http10;
    private final boolean headRequest;
    private final boolean bodyless;
    private final String upgrade;           // the protocol an upgrade request asks for, or null
    private boolean clientKeepAlive;
    private boolean tunnel;                 // after a 101: bytes both ways, no HTTP

    private Channel upstream;
    private BackendHandler bound;
    private final ArrayDeque<HttpContent> held = new ArrayDeque<>(2);
    private boolean sending;
    private boolean reused;
    private boolean retried;
    private boolean bodySent;
    private boolean requestDone;
    private boolean responseStarted;
    private boolean informational;
    private boolean backendKeepAlive;
    private boolean finished;
    private long lastSendNanos;

    Exchange(FrontendHandler front, ChannelHandlerContext client, Backend backend, HttpRequest request,
             ProxySettings settings, String clientIp, boolean fromTrustedProxy) {
        this.front = front;
        this.client = client;
        this.backend = backend;
        this.request = request;
        this.responseTimeoutNanos = settings.responseTimeout().toNanos();
        this.maxBodySize = settings.maxBodySize();
        this.http10 = request.protocolVersion().equals(HttpVersion.HTTP_1_0);
        this.headRequest = HttpMethod.HEAD.equals(request.method());
        this.clientKeepAlive = HttpUtil.isKeepAlive(request);
        this.bodyless = !FrontendHandler.hasBody(request);
        this.upgrade = http10 ? null : ForwardedHeaders.upgradeRequested(request.headers());
        ForwardedHeaders.prepareRequest(request, clientIp, fromTrustedProxy, settings.trustedProxies());
        if (upgrade != null) {
            ForwardedHeaders.keepUpgrade(request.headers(), upgrade);
        }
    }

    boolean responseStarted() {
        return responseStarted;
    }

    /** The whole request went to the backend; the client connection waits for the response. */
    boolean requestDone() {
        return requestDone;
    }

    /** Upgraded (101): the connection carries bytes both ways until either side closes. */
    boolean tunnelling() {
        return tunnel;
    }

    /** Takes a parked connection of this loop, or opens one, and sends the request head. */
    void start() {
        Channel parked = backend.pooled(client.channel().eventLoop());
        if (parked != null) {
            reused = true;
            send(parked);
        } else {
            connect();
        }
    }

    private void connect() {
        front.upstreamBlocked(true);
        ChannelFuture connecting = backend.connect(client.channel().eventLoop());
        upstream = connecting.channel();
        // Carried on as a task of its own: closing a channel from within its connect completion
        // leaves io_uring (Netty 4.2.18) a read that holds the socket open, so the backend never
        // sees the close; and a connect that failed at once completes on another thread.
        connecting.addListener(f -> client.channel().eventLoop().execute(() -> onConnected(connecting)));
    }

    private void onConnected(ChannelFuture connecting) {
        if (finished) {
            close(connecting.channel());
        } else if (!connecting.isSuccess()) {
            fail(ProxyError.of(connecting.cause()));
        } else {
            send(connecting.channel());
        }
    }

    private void send(Channel ch) {
        upstream = ch;
        bound = BackendHandler.of(ch);
        bound.bind(this);
        sending = true;
        ch.write(request, ch.voidPromise());
        if (requestDone) {
            // a retry of a request whose (empty) end was already read from the client
            ch.write(LastHttpContent.EMPTY_LAST_CONTENT, ch.voidPromise());
        }
        ch.flush();
        lastSendNanos = System.nanoTime();
        front.armTimer(lastSendNanos + responseTimeoutNanos);
        while (!held.isEmpty() && sending) {
            forward(held.poll());
        }
        if (sending && !requestDone) {
            front.upstreamBlocked(!ch.isWritable());
        }
    }

    /** A piece of the request body from the client. */
    void onRequestContent(HttpContent content) {
        if (finished) {
            content.release();
        } else if (!sending) {
            held.add(content);      // the front holds messages back while connecting; this is a safety net
        } else {
            forward(content);
        }
    }

    private void forward(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        bodyBytes += content.content().readableBytes();
        if (maxBodySize > 0 && bodyBytes > maxBodySize) {
            content.release();      // a chunked body grew past the limit: stop here
            if (responseStarted) {
                observe(0);
                end();
                front.exchangeCut();
            } else {
                clientKeepAlive = false;
                fail(ProxyError.BODY_TOO_LARGE);
            }
            return;
        }
        if (content.content().isReadable()
                || last && !((LastHttpContent) content).trailingHeaders().isEmpty()) {
            bodySent = true;
        }
        if (last) {
            requestDone = true;
        }
        upstream.writeAndFlush(content, upstream.voidPromise());
        lastSendNanos = System.nanoTime();
        if (!last && !upstream.isWritable()) {
            front.upstreamBlocked(true);
        }
    }

    void onBackendWritable() {
        if (!finished && sending && (!requestDone || tunnel)) {
            front.upstreamBlocked(false);
        }
    }

    void onClientWritable() {
        if (!finished && sending) {
            upstream.config().setAutoRead(true);
        }
    }

    /** A piece of the response from the backend. */
    void onResponse(Object msg) {
        if (finished) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (tunnel) {
            client.write(msg, client.voidPromise());
            return;
        }
        if (msg instanceof HttpResponse response && !onResponseHead(response)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpContent content) {
            onResponseContent(content);
        }
    }

    private boolean onResponseHead(HttpResponse response) {
        if (response.decoderResult().isFailure()) {
            backendFailed(new BadResponseException("unparseable response: " + response.decoderResult().cause()));
            return false;
        }
        if (!Framing.unambiguous(response)) {
            backendFailed(new BadResponseException("ambiguous response framing"));
            return false;
        }
        int code = response.status().code();
        if (code == 101) {
            String accepted = ForwardedHeaders.upgradeOffered(response.headers());
            if (upgrade == null || accepted == null) {
                backendFailed(new BadResponseException("backend switched protocols unasked"));
                return false;
            }
            responseStarted = true;
            status = code;
            ForwardedHeaders.prepareResponse(response, false, true, false);
            ForwardedHeaders.keepUpgrade(response.headers(), accepted);
            client.write(response, client.voidPromise());
            return true;
        }
        informational = code < 200;
        if (informational) {
            if (http10) {
                return true;        // never sent to an HTTP/1.0 client; its content is dropped too
            }
            ForwardedHeaders.prepareResponse(response, false, true, false);
        } else {
            responseStarted = true;
            status = code;
            backendKeepAlive = HttpUtil.isKeepAlive(response);
            boolean bodyPossible = !headRequest && code != 204 && code != 304;
            // a response that ends before the request body did leaves that body unread: close after
            boolean keep = clientKeepAlive && requestDone && !front.closing();
            clientKeepAlive = ForwardedHeaders.prepareResponse(response, bodyPossible, keep, http10);
        }
        client.write(response, client.voidPromise());
        return true;
    }

    private void onResponseContent(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (informational) {
            if (http10) {
                content.release();
            } else {
                client.write(content, client.voidPromise());
            }
            informational = !last;
            return;
        }
        client.write(content, client.voidPromise());
        if (last && status == 101) {
            openTunnel();
        } else if (last) {
            complete();
        }
    }

    /**
     * The backend accepted the upgrade: both connections stop speaking HTTP and relay bytes. The
     * exchange stays in flight on its backend (a drain waits for it, its deadline closes it).
     */
    private void openTunnel() {
        tunnel = true;
        client.flush();
        client.pipeline().remove(HttpServerCodec.class);
        upstream.pipeline().remove(HttpClientCodec.class);
        front.upstreamBlocked(!upstream.isWritable());
    }

    /** Bytes from the client of an upgraded connection. */
    void fromClient(ByteBuf bytes) {
        if (finished) {
            bytes.release();
            return;
        }
        upstream.writeAndFlush(bytes, upstream.voidPromise());
        if (!upstream.isWritable()) {
            front.upstreamBlocked(true);
        }
    }

    /** The backend's read batch ended: flush to the client; stop reading while it cannot keep up. */
    void onResponseReadComplete() {
        if (finished) {
            return;
        }
        client.flush();
        if (!client.channel().isWritable()) {
            upstream.config().setAutoRead(false);
        }
    }

    private void complete() {
        finished = true;
        observe(status);
        Channel up = upstream;
        unbind();
        if (backendKeepAlive && requestDone) {
            backend.release(up);
        } else {
            up.close();
        }
        backend.exit();
        front.exchangeDone(clientKeepAlive);
    }

    /** The backend connection closed or failed (its handler has already let go of us). */
    void onBackendClosed(Throwable cause) {
        if (finished) {
            return;
        }
        sending = false;
        bound = null;
        if (!responseStarted && reused && !retried && !bodySent && !backend.closed()) {
            // a parked connection the backend closed meanwhile: nothing of the request body went
            // out and no response came, so the request is sent again on a fresh connection
            log.debug("retrying {} on a fresh connection to {}: {}", request.uri(), backend.target(),
                    cause == null ? "closed" : cause.toString());
            retried = true;
            reused = false;
            connect();      // blocks the client's body until the new connection is up
        } else if (!responseStarted) {
            fail(ProxyError.of(cause));
        } else {
            if (!tunnel) {
                log.debug("backend {} closed mid-response to {}", backend.target(), request.uri());
            }
            observe(tunnel ? 101 : 0);
            end();
            front.exchangeCut();
        }
    }

    private void backendFailed(Throwable cause) {
        Channel up = upstream;
        unbind();
        up.close();
        onBackendClosed(cause);
    }

    /** Ends the exchange with an error response (no response has started yet). */
    private void fail(ProxyError error) {
        log.debug("{} {} via {}: {}", request.method(), request.uri(), backend.target(), error);
        observe(error.status().code());
        end();
        front.exchangeFailed(error, clientKeepAlive && (requestDone || bodyless));
    }

    /** The client went away: drop the backend side (it is mid-exchange, so not reusable). */
    void abort() {
        if (!finished) {
            observe(tunnel ? 101 : TrafficObserver.CLIENT_GONE);
            end();
        }
    }

    /**
     * Ends an exchange that did not complete: the backend connection (mid-exchange, so not
     * reusable) is closed, and the in-flight count is given back.
     */
    private void end() {
        finished = true;
        releaseHeld();
        if (upstream != null) {
            unbind();
            close(upstream);
        }
        backend.exit();
    }

    /**
     * Closes a backend connection, also one that never got onto an event loop (its registration
     * failed, as it does when no file descriptor is left): close() would throw for that one.
     */
    private static void close(Channel ch) {
        if (ch.isRegistered()) {
            ch.close();
        } else {
            ch.unsafe().closeForcibly();
        }
    }

    private void observe(int finalStatus) {
        backend.observer().ended(finalStatus, System.nanoTime() - startNanos);
    }

    private void unbind() {
        if (bound != null) {
            bound.unbind();
            bound = null;
        }
        sending = false;
    }

    private void releaseHeld() {
        while (!held.isEmpty()) {
            held.poll().release();
        }
    }

    /**
     * When the backend must have started its response, counted from the last request byte it
     * accepted; {@code Long.MAX_VALUE} once it has (or while connecting: that has its own timeout).
     */
    long responseDeadline() {
        return finished || responseStarted || !sending ? Long.MAX_VALUE : lastSendNanos + responseTimeoutNanos;
    }

    /** Called by the connection's timer: fails the exchange with 504 if its deadline has passed. */
    void checkResponseTimeout(long now) {
        long deadline = responseDeadline();
        if (deadline != Long.MAX_VALUE && now - deadline >= 0) {
            fail(ProxyError.BACKEND_TIMEOUT);
        }
    }
}
