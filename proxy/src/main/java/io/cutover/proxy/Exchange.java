package io.cutover.proxy;

import io.cutover.proxy.http.Framing;
import io.cutover.proxy.http.HeadWriter;
import io.cutover.proxy.http.HttpParseException;
import io.cutover.proxy.http.RequestHead;
import io.cutover.proxy.http.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request and its response, relayed between a client connection and a backend connection
 * of the same event loop: nothing here is shared between threads. Its life is a {@link Phase};
 * it owns one count of its backend's in-flight figure from routing until it ends, and gives it
 * back exactly once ({@link #end}, {@link #complete}). How far the client has sent its request is
 * its {@link RequestBody}; whether it may be sent again, {@link RetryRule}'s; how the response
 * body is framed for the client, its {@link Rechunker}. It talks to its client connection through
 * {@link ClientSide}.
 *
 * <p>Heads are written once (see {@link HeadWriter}); bodies pass as the slices the decoders cut
 * from what was read. Back-pressure follows writability both ways. A request is sent again only
 * when it cannot have reached the application ({@link RetryRule}).
 *
 * <p>The backend is a version; the exchange picks one of its {@link Replica replicas}
 * ({@link Backend#pick}) and holds that replica's in-flight count too. A connection that could
 * not be opened sends the request on to another replica (nothing reached the app, so any method
 * may go), each replica tried at most once; a retry after a pooled connection died prefers
 * another replica. A connection closed on this side before it connected was no answer of the
 * replica's: it is opened again, once, on the same replica ({@link RetryRule#mayReconnect}). An upgraded connection stays on its replica: it is that replica's connection.
 *
 * <p>Whose turn it is decides which clock runs while the request goes out. While the client is
 * sending its body and the backend could take more, the client's: it must send a byte within the
 * body idle timeout and keep up the minimum body rate, or it is answered 408 and counted as its
 * own failure ({@link TrafficObserver#CLIENT_TOO_SLOW}), not the app's. Once the body is whole,
 * while the backend is not taking it (back-pressure), and while the client waits for a
 * {@code 100 Continue}, the backend's: the response timeout, counted from the last request byte
 * it accepted (then 504, the app's failure). The app's latency, what a canary is judged by, runs
 * from the whole request having gone to the backend to the response head arriving.
 */
final class Exchange {
    private static final Logger log = LoggerFactory.getLogger(Exchange.class);

    /** Where the exchange is. */
    enum Phase {
        /** Waiting for a backend connection; body parts that already came are held. */
        CONNECTING,
        /** The request head went out; the body may still be streaming; no response yet. */
        SENDING,
        /** The final response head went to the client; its body streams. */
        RESPONDING,
        /** Upgraded (101): bytes both ways until either side closes. */
        TUNNEL,
        /** Completed, failed, cut or aborted: the in-flight count is given back. */
        ENDED
    }

    /** How far the client has sent its request (a body-less request is whole from the start). */
    enum RequestBody {
        /** The client sent Expect: 100-continue and waits for the backend before sending its body. */
        AWAITING_CONTINUE,
        /** The body is under way: the client's clocks run while the backend takes it. */
        STREAMING,
        /** The whole request came: the client waits for the response. */
        WHOLE
    }

    private final ClientSide front;
    private final ChannelHandlerContext client;
    private final Backend backend;
    /** Where routing sent the request: its backend, its prefix to strip, the canary cookie to give. */
    private final Forward route;
    private final RequestHead head;
    private final HeadWriter.Forwarding forwarding;
    private final long responseTimeoutNanos;
    private final Ticker ticker;
    private final long startNanos;
    private final String upgrade;
    private ArrayDeque<ByteBuf> held;      // body parts that came before the backend connection: rare
    private Phase phase = Phase.CONNECTING;
    private Channel upstream;
    /** The replica the request goes to (null before {@link #start}), and those it was tried on. */
    private Replica replica;
    private long tried;
    private BackendHandler bound;
    private RetryRule.Attempt attempt = RetryRule.Attempt.FRESH;
    private boolean reconnected;
    private RequestBody body;
    private int status;
    private boolean backendKeepAlive;
    private boolean clientKeepAlive;
    private Rechunker toClient = Rechunker.AS_IS;
    private long lastSendNanos;
    /** The client's clocks for its body: see the class comment. */
    private final long bodyIdleNanos;
    private final long minBodyRate;
    private long bodyClockStart;
    private long lastBodyNanos;
    private long bodyBytes;
    /** Since when the backend connection cannot take more of the body (its turn), or -1. */
    private long blockedSince = -1;
    /** When the whole request had gone to the backend; the app's latency, once its response head came (else -1). */
    private long appStartNanos;
    private long appNanos = -1;
    /** Where this request is reported when it ends, or null; what it came to so far. */
    private final AccessLog accessLog;
    private final long startMillis;
    private long bytesIn;
    private long bytesOut;
    /** The copy of this request a shadow got, told the answer when this ends; null: none. */
    private ShadowCopy shadow;

    /** @param accessLog where the request is reported when it ends, or null */
    Exchange(ClientSide front, ChannelHandlerContext client, Forward route, RequestHead head,
             HeadWriter.Forwarding forwarding, ProxySettings settings, AccessLog accessLog, Ticker ticker) {
        this.front = front;
        this.ticker = ticker;
        this.startNanos = ticker.nanos();
        this.client = client;
        this.route = route;
        this.backend = route.backend();
        this.head = head;
        this.forwarding = forwarding;
        this.responseTimeoutNanos = settings.responseTimeout().toNanos();
        this.bodyIdleNanos = settings.requestBodyIdleTimeout().toNanos();
        this.minBodyRate = settings.minBodyRate();
        this.appStartNanos = startNanos;
        this.upgrade = head.upgrade();
        this.clientKeepAlive = head.keepAlive();
        if (head.framing() == Framing.NONE) {
            body = RequestBody.WHOLE;
        } else {
            String expect = head.header("expect");
            body = expect != null && expect.equalsIgnoreCase("100-continue") ? RequestBody.AWAITING_CONTINUE
                    : RequestBody.STREAMING;
        }
        this.accessLog = accessLog;
        this.startMillis = accessLog == null ? 0 : System.currentTimeMillis();
        if (accessLog != null) {
            bytesIn = head.raw().readableBytes();
            head.ensureRequestId();     // passed to the app, and logged
        }
    }

    Phase phase() {
        return phase;
    }

    boolean responseStarted() {
        return phase == Phase.RESPONDING || phase == Phase.TUNNEL;
    }

    /** The whole request went to the backend (or will, once connected): the client waits for the response. */
    boolean requestDone() {
        return body == RequestBody.WHOLE;
    }

    RequestBody body() {
        return body;
    }

    boolean tunnelling() {
        return phase == Phase.TUNNEL;
    }

    /** A shadow got a copy of this request: it is told what the backend answered. */
    void shadowedBy(ShadowCopy copy) {
        shadow = copy;
    }

    /** Takes a parked connection of this loop, or opens one, and sends the request head. */
    void start() {
        replica = backend.pick(0);
        replica.enter();
        Channel parked = replica.pooled(client.channel().eventLoop());
        if (parked != null) {
            attempt = RetryRule.Attempt.POOLED;
            send(parked);
        } else {
            connect();
        }
    }

    private void connect() {
        phase = Phase.CONNECTING;
        front.backendBlocked(true);
        ChannelFuture connecting = replica.connect(client.channel().eventLoop());
        upstream = connecting.channel();
        // Carried on as a task of its own: closing a channel from within its connect completion
        // leaves io_uring (Netty 4.2.18) a read that holds the socket open, so the backend never
        // sees the close; and a connect that failed at once (no descriptor left) completes on
        // another thread.
        boolean notCreated = connecting.isDone() && !connecting.isSuccess();  // no socket could be made at all
        connecting.addListener(f -> client.channel().eventLoop().execute(() -> onConnected(connecting, notCreated)));
    }

    private void onConnected(ChannelFuture connecting, boolean notCreated) {
        if (phase == Phase.ENDED) {
            Backend.close(connecting.channel());
        } else if (!connecting.isSuccess()) {
            upstream = null;
            if (notCreated) {
                fail(backend.noConnection(connecting.cause()));     // no descriptor here: not the replica's fault
                return;
            }
            // not while cutover stops: its own close of every connection is no stale event
            if (RetryRule.mayReconnect(connecting.cause(), reconnected, backend.closed())
                    && client.channel().isActive() && !client.channel().eventLoop().isShuttingDown()) {
                reconnected = true;
                log.debug("{}: the connection to {} was closed here before it connected, opening another",
                        head, replica.target());
                connect();
                return;
            }
            if (!RetryRule.closedHere(connecting.cause())) {
                replica.connectFailed(connecting.cause(), ticker);     // closed here: not the replica's answer
            }
            Replica next = backend.closed() ? null : backend.pick(tried | Backend.bit(replica));
            if (next != null) {
                // nothing was sent: safe for any method
                log.debug("{}: cannot connect to {} ({}), trying {}", head, replica.target(),
                        connecting.cause().toString(), next.target());
                moveTo(next, true);
                connect();
            } else {
                fail(ProxyError.of(connecting.cause()));
            }
        } else {
            replica.connected();
            send(connecting.channel());
        }
    }

    /** Sends the request on to another replica: this one is counted out (and, {@code failed}, not tried again). */
    private void moveTo(Replica next, boolean failed) {
        if (failed) {
            tried |= Backend.bit(replica);
        }
        replica.exit();
        replica = next;
        next.enter();
    }

    private void send(Channel ch) {
        upstream = ch;
        bound = BackendHandler.of(ch);
        bound.bind(this, head.isHead(), head.http10());
        phase = Phase.SENDING;
        ch.write(HeadWriter.request(ch.alloc(), head, route.strip(), replica.hostHeader(), forwarding), ch.voidPromise());
        while (held != null && !held.isEmpty()) {
            forward(held.poll());
        }
        ch.flush();
        long now = ticker.nanos();
        lastSendNanos = now;
        appStartNanos = now;
        bodyClockStart = now;
        lastBodyNanos = now;
        boolean blocked = body != RequestBody.WHOLE && !ch.isWritable();
        blockedSince = blocked ? now : -1;
        front.armTimer(deadline());
        front.backendBlocked(blocked);
    }

    /** A piece of the request body (or, upgraded, of the client's bytes). */
    void fromClient(ByteBuf part) {
        if (phase == Phase.ENDED) {
            part.release();
        } else if (phase == Phase.CONNECTING) {
            if (held == null) {
                held = new ArrayDeque<>(2);
            }
            held.add(part);         // the front stops reading while connecting; these came in the same read
        } else {
            forward(part);
            upstream.flush();
            lastBodyNanos = lastSendNanos;
            if (!upstream.isWritable()) {
                if (phase == Phase.SENDING) {
                    blockedSince = lastSendNanos;     // the backend's turn: its response timeout runs
                    front.armTimer(lastSendNanos + responseTimeoutNanos);
                }
                front.backendBlocked(true);
            }
        }
    }

    private void forward(ByteBuf part) {
        bytesIn += part.readableBytes();
        bodyBytes += part.readableBytes();
        if (body == RequestBody.AWAITING_CONTINUE && part.isReadable()) {
            body = RequestBody.STREAMING;       // the client did not wait for the 100
        }
        lastSendNanos = ticker.nanos();
        upstream.write(part, upstream.voidPromise());
    }

    /** The request body ended. */
    void requestEnded() {
        body = RequestBody.WHOLE;
        if (phase == Phase.SENDING) {
            // the response timeout and the app's latency run from here (the body's own clocks stop)
            lastSendNanos = ticker.nanos();
            appStartNanos = lastSendNanos;
            front.armTimer(lastSendNanos + responseTimeoutNanos);
        }
    }

    void onBackendWritable() {
        if (phase != Phase.ENDED && phase != Phase.CONNECTING && (body != RequestBody.WHOLE || phase == Phase.TUNNEL)) {
            if (blockedSince != -1 && phase == Phase.SENDING) {
                // the client's turn again: the time the backend did not read is not held against it
                long now = ticker.nanos();
                bodyClockStart += now - blockedSince;
                lastBodyNanos = now;
            }
            blockedSince = -1;
            front.backendBlocked(false);
        }
    }

    void onClientWritable() {
        if (upstream != null && phase != Phase.ENDED && phase != Phase.CONNECTING) {
            upstream.config().setAutoRead(true);
        }
    }

    /** What the backend's decoder passes on: heads, body parts, the end, or a refusal. */
    void onResponse(Object msg) {
        if (phase == Phase.ENDED) {
            io.netty.util.ReferenceCountUtil.release(msg);
        } else if (msg instanceof ByteBuf part) {
            toClient(part);
        } else if (msg instanceof ResponseHead h) {
            onResponseHead(h);
        } else if (msg instanceof Signal s) {
            complete(s == Signal.BODY_END_WITH_LEFTOVERS);
        } else if (msg instanceof Refused r) {
            backendFailed(r.cause());
        }
    }

    private void onResponseHead(ResponseHead h) {
        try {
            if (h.informational()) {
                if (body == RequestBody.AWAITING_CONTINUE) {
                    body = RequestBody.STREAMING;   // the client's turn to send its body
                    lastBodyNanos = ticker.nanos();
                    bodyClockStart = lastBodyNanos;
                    front.armTimer(deadline());
                }
                if (!head.http10()) {
                    client.write(HeadWriter.response(client.alloc(), h, true, false), client.voidPromise());
                }
                return;
            }
            if (h.status() == 101 && (upgrade == null || h.upgrade() == null)) {
                backendFailed(new HttpParseException(HttpParseException.Kind.MALFORMED, "backend switched protocols unasked"));
                return;
            }
            status = h.status();
            appNanos = ticker.nanos() - appStartNanos;
            if (status == 101) {
                phase = Phase.TUNNEL;
                client.write(HeadWriter.response(client.alloc(), h, true, false), client.voidPromise());
                client.flush();
                front.openTunnel();
                front.backendBlocked(!upstream.isWritable());
                return;
            }
            phase = Phase.RESPONDING;
            backendKeepAlive = h.keepAlive();
            boolean delimitedByClose = head.http10() && (h.framing() == Framing.CHUNKED || h.framing() == Framing.UNTIL_CLOSE);
            // a response that ends before the request body did leaves that body unread: close after
            clientKeepAlive = clientKeepAlive && body == RequestBody.WHOLE && !front.stopping() && !delimitedByClose;
            toClient = Rechunker.of(head.http10(), h.framing());
            ByteBuf out = HeadWriter.response(client.alloc(), h, clientKeepAlive, head.http10(), route.canaryCookie());
            bytesOut += out.readableBytes();
            client.write(out, client.voidPromise());
        } finally {
            h.release();
        }
    }

    private void toClient(ByteBuf part) {
        bytesOut += part.readableBytes();
        toClient.write(client, part);       // chunked only ever in RESPONDING (set with its response head)
    }

    /** The backend's read batch ended: flush to the client; stop reading while it cannot keep up. */
    void onResponseReadComplete() {
        if (phase == Phase.ENDED) {
            return;
        }
        client.flush();
        if (!client.channel().isWritable()) {
            upstream.config().setAutoRead(false);
        }
    }

    /** The response ended (with bytes after it, it says so: then the connection is not reused). */
    private void complete(boolean leftovers) {
        toClient.end(client);
        phase = Phase.ENDED;
        observe(status);
        Channel up = upstream;
        unbind();
        if (backendKeepAlive && body == RequestBody.WHOLE && !leftovers) {
            replica.release(up);
        } else {
            up.close();
        }
        replica.exit();
        backend.exit();
        head.release();
        front.exchangeDone(clientKeepAlive);
    }

    /**
     * The backend connection closed or failed (its handler has already let go of us).
     *
     * @param responseBegan bytes of a response had arrived
     */
    void onBackendClosed(Throwable cause, boolean responseBegan) {
        if (phase == Phase.ENDED) {
            return;
        }
        bound = null;
        if (phase == Phase.SENDING
                && RetryRule.mayRetry(attempt, bodyBytes > 0, responseBegan, head.idempotent(), backend.closed())) {
            // a parked connection that died under the request: it cannot have been processed;
            // its replica may be going away, so another one is preferred
            Replica other = backend.pickUp(tried | Backend.bit(replica));
            if (other != null) {
                moveTo(other, false);      // it may be well (the connection idled out): it may still be tried
            }
            log.debug("retrying {} on a fresh connection to {}: {}", head, replica.target(),
                    cause == null ? "closed" : cause.toString());
            attempt = RetryRule.Attempt.RETRY;
            connect();
        } else if (phase == Phase.SENDING || phase == Phase.CONNECTING) {
            fail(ProxyError.of(cause));
        } else {
            cut(phase == Phase.TUNNEL ? 101 : 0);
        }
    }

    /** The backend sent something that is not a valid response: 502 if nothing was sent yet, never a retry. */
    private void backendFailed(HttpParseException cause) {
        log.debug("{} via {}: {}", head, backend.target(), cause.getMessage());
        if (phase == Phase.SENDING) {
            fail(ProxyError.BAD_RESPONSE);
        } else {
            cut(0);
        }
    }

    /** Ends the exchange with an error response (no response has started yet). */
    private void fail(ProxyError error) {
        log.debug("{} via {}: {}", head, replica == null ? backend.target() : replica.target(), error);
        observe(error.status());
        end();
        front.exchangeFailed(error, clientKeepAlive && body == RequestBody.WHOLE);
    }

    /**
     * The client did not send its body in time: 408 (no response has begun: the body's clocks
     * only run before one does), the backend connection closes (it is mid-request), and the
     * failure is the client's, not the app's.
     */
    private void clientTooSlow(String why) {
        log.debug("{} via {}: the client {}", head, backend.target(), why);
        observe(TrafficObserver.CLIENT_TOO_SLOW);
        end();
        front.exchangeFailed(ProxyError.REQUEST_TIMEOUT, false);
    }

    /** Ends an exchange whose response had begun: the client can only be cut off. */
    private void cut(int observed) {
        observe(observed);
        end();
        front.exchangeCut();
    }

    /** The client went away: drop the backend side (it is mid-exchange, so not reusable). */
    void abort() {
        if (phase != Phase.ENDED) {
            observe(phase == Phase.TUNNEL ? 101 : TrafficObserver.CLIENT_GONE);
            end();
        }
    }

    /** Ends an exchange that did not complete: its backend connection closes, the count is given back. */
    private void end() {
        phase = Phase.ENDED;
        while (held != null && !held.isEmpty()) {
            held.poll().release();
        }
        if (upstream != null) {
            unbind();
            Backend.close(upstream);
        }
        if (replica != null) {
            replica.exit();
        }
        backend.exit();
        head.release();
    }

    /** Reports the end: {@code counted} is what the stats and metrics get, the access log the status the client got. */
    private void observe(int counted) {
        int finalStatus = counted == TrafficObserver.CLIENT_TOO_SLOW ? ProxyError.REQUEST_TIMEOUT.status() : counted;
        long now = ticker.nanos();
        long nanos = now - startNanos;
        long app = appNanos >= 0 ? appNanos : now - appStartNanos;
        backend.ended(counted, nanos, app);
        if (shadow != null) {
            shadow.live(counted, app);
            shadow = null;
        }
        if (accessLog != null) {
            // the head is still held here: every caller releases it after
            accessLog.log(AccessLogLines.forwarded(accessLog, head, front.client(head), startMillis, finalStatus,
                    bytesIn, bytesOut, nanos, backend, replica == null ? backend.hostHeader() : replica.hostHeader()));
        }
    }

    private void unbind() {
        if (bound != null) {
            bound.unbind();
            bound = null;
        }
    }

    /** Whether the backend is the one to act: the request is whole, the backend is not taking it, or the client awaits 100. */
    private boolean backendsTurn() {
        return body != RequestBody.STREAMING || blockedSince != -1;
    }

    /**
     * The next deadline while the request goes out: the backend's response timeout, counted from
     * the last request byte it accepted, or, while the client sends its body, the body idle
     * timeout and the minimum rate; {@code Long.MAX_VALUE} once the response began (or while
     * connecting: that has its own timeout).
     */
    long deadline() {
        if (phase != Phase.SENDING) {
            return Long.MAX_VALUE;
        }
        if (backendsTurn()) {
            return lastSendNanos + responseTimeoutNanos;
        }
        long idle = lastBodyNanos + bodyIdleNanos;
        return minBodyRate > 0 ? Math.min(idle, rateDeadline()) : idle;
    }

    /**
     * When the body falls below the minimum rate: after a grace of the body idle timeout, each
     * byte buys 1/rate seconds (counted from the body's start, less the time the backend did not read).
     */
    private long rateDeadline() {
        long credit = bodyBytes > 9_000_000_000L ? Long.MAX_VALUE / 4 : bodyBytes * 1_000_000_000L / minBodyRate;
        return bodyClockStart + bodyIdleNanos + credit;
    }

    /** Called by the connection's timer: fails the exchange if one of its deadlines has passed. */
    void checkTimeouts(long now) {
        if (phase != Phase.SENDING) {
            return;
        }
        if (backendsTurn()) {
            if (now - (lastSendNanos + responseTimeoutNanos) >= 0) {
                fail(ProxyError.BACKEND_TIMEOUT);
            }
        } else if (now - (lastBodyNanos + bodyIdleNanos) >= 0) {
            clientTooSlow("sent no byte of its body for " + bodyIdleNanos / 1_000_000 + " ms");
        } else if (minBodyRate > 0 && now - rateDeadline() >= 0) {
            clientTooSlow("sent its body slower than " + minBodyRate + " bytes/s (" + bodyBytes + " bytes)");
        }
    }
}
