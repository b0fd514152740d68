package io.cutover.proxy;

import io.cutover.proxy.http.BodyReader;
import io.cutover.proxy.http.HeadParser;
import io.cutover.proxy.http.HttpParseException;
import io.cutover.proxy.http.RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.ArrayDeque;
import java.util.function.Consumer;

/**
 * The client side's decoder: bytes in, {@link RequestHead}s and body parts out (slices of what
 * was read, chunk framing kept), each body followed by {@link Signal#BODY_END}. A head that does
 * not arrive in one read is announced with {@link Signal#HEAD_STARTED} (so it can be timed) and
 * kept until it is whole. What cannot be parsed becomes one {@link Refused}; nothing is read after
 * it. After an upgrade ({@link #tunnel()}), bytes pass through untouched.
 */
final class RequestDecoder extends ChannelInboundHandlerAdapter {
    private static final int MAX_LEADING_EMPTY_LINES = 8;

    /** AWAIT_UPGRADE: an upgrade was asked for; later bytes wait until the backend accepts (tunnel) or not (resume). */
    private enum Mode { HEAD, BODY, AWAIT_UPGRADE, TUNNEL, FAILED }

    private final HeadParser parser;
    private final BodyReader body;
    private final long maxBodySize;
    private ByteBuf cumulation;
    private Mode mode = Mode.HEAD;
    private boolean headStarted;
    private boolean gone;
    private ChannelHandlerContext ctx;
    /**
     * Heads released for good, to parse the next ones into: one stack per event loop (a head is
     * parsed and released on its connection's loop), not one spare per connection, so that an idle
     * connection holds no head. At most {@link #MAX_SPARE} a loop: the most that were under way at
     * once, about.
     */
    private static final FastThreadLocal<ArrayDeque<RequestHead>> SPARE = new FastThreadLocal<>() {
        @Override
        protected ArrayDeque<RequestHead> initialValue() {
            return new ArrayDeque<>();
        }
    };
    static final int MAX_SPARE = 1024;
    private static final Consumer<RequestHead> RECYCLE = h -> {
        ArrayDeque<RequestHead> spare = SPARE.get();
        if (spare.size() < MAX_SPARE) {
            spare.push(h);
        }
    };

    RequestDecoder(ProxySettings settings) {
        this.parser = new HeadParser(true, settings.maxInitialLineLength(), settings.maxHeaderSize());
        this.body = new BodyReader(settings.maxHeaderSize());
        this.maxBodySize = settings.maxBodySize();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (mode == Mode.FAILED || gone) {
            in.release();
            return;
        }
        if (mode == Mode.TUNNEL) {
            ctx.fireChannelRead(in);
            return;
        }
        if (mode == Mode.AWAIT_UPGRADE) {
            cumulation = cumulation == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, in);
            return;
        }
        ByteBuf buf = cumulation == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, in);
        cumulation = null;
        try {
            decode(ctx, buf);
        } catch (HttpParseException e) {
            mode = Mode.FAILED;
            ctx.fireChannelRead(new Refused(e));
        } finally {
            if (mode == Mode.TUNNEL && buf.isReadable() && !gone) {
                ctx.fireChannelRead(buf);       // what came right after the upgrade request
            } else if (mode != Mode.FAILED && buf.isReadable() && !gone) {
                cumulation = buf;
            } else {
                buf.release();
            }
        }
    }

    private void decode(ChannelHandlerContext ctx, ByteBuf buf) throws HttpParseException {
        // an answer may close the connection while this read is decoded: then the rest is dropped
        while (buf.isReadable() && !gone && (mode == Mode.HEAD || mode == Mode.BODY)) {
            if (mode == Mode.HEAD) {
                if (!headStarted && !skipEmptyLines(buf)) {
                    return;
                }
                int length = parser.headLength(buf);
                if (length < 0) {
                    if (!headStarted) {
                        headStarted = true;
                        ctx.fireChannelRead(Signal.HEAD_STARTED);
                    }
                    return;
                }
                headStarted = false;
                RequestHead head = parse(buf.readRetainedSlice(length));
                body.start(head.framing(), head.contentLength());
                mode = !body.done() ? Mode.BODY : head.upgrade() != null ? Mode.AWAIT_UPGRADE : Mode.HEAD;
                ctx.fireChannelRead(head);
            } else {
                ByteBuf part;
                while ((part = body.read(buf, true)) != null) {
                    if (maxBodySize > 0 && body.dataBytes() > maxBodySize) {
                        part.release();
                        throw new HttpParseException(HttpParseException.Kind.BODY_TOO_LARGE, "body over the limit");
                    }
                    ctx.fireChannelRead(part);
                }
                if (!body.done()) {
                    return;
                }
                mode = Mode.HEAD;
                ctx.fireChannelRead(Signal.BODY_END);
            }
        }
    }

    private RequestHead parse(ByteBuf raw) throws HttpParseException {
        RequestHead head;
        try {
            head = HeadParser.parseRequest(SPARE.get().poll(), raw, RECYCLE);
        } catch (HttpParseException e) {
            raw.release();
            throw e;
        }
        if (maxBodySize > 0 && head.contentLength() > maxBodySize) {
            head.release();
            throw new HttpParseException(HttpParseException.Kind.BODY_TOO_LARGE, "declared body over the limit");
        }
        return head;
    }

    /** RFC 9112 2.2: empty lines before a request line are ignored (a few). False while only part of one is here. */
    private boolean skipEmptyLines(ByteBuf buf) throws HttpParseException {
        int skipped = 0;
        while (buf.readableBytes() >= 1 && buf.getByte(buf.readerIndex()) == '\r') {
            if (buf.readableBytes() < 2) {
                return false;
            }
            if (buf.getByte(buf.readerIndex() + 1) != '\n' || ++skipped > MAX_LEADING_EMPTY_LINES) {
                throw new HttpParseException(HttpParseException.Kind.MALFORMED, "malformed request line");
            }
            buf.skipBytes(2);
        }
        return buf.isReadable();
    }

    /** The backend did not accept the upgrade: bytes held back are requests again. */
    void resume() {
        if (mode == Mode.AWAIT_UPGRADE) {
            mode = Mode.HEAD;
            if (cumulation != null) {
                ByteBuf held = cumulation;
                cumulation = null;
                channelRead(ctx, held);
            }
        }
    }

    /** From now on bytes pass through as they come (the backend accepted an upgrade). */
    void tunnel() {
        mode = Mode.TUNNEL;
        if (cumulation != null) {
            ByteBuf rest = cumulation;
            cumulation = null;
            ctx.fireChannelRead(rest);
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        gone = true;
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        handlerRemoved(ctx);
        ctx.fireChannelInactive();
    }
}
