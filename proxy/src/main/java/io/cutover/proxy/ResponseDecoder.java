package io.cutover.proxy;

import io.cutover.proxy.http.BodyReader;
import io.cutover.proxy.http.Framing;
import io.cutover.proxy.http.HeadParser;
import io.cutover.proxy.http.HttpParseException;
import io.cutover.proxy.http.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.function.Consumer;

/**
 * The backend side's decoder: bytes in, {@link ResponseHead}s (informational ones first, if
 * any) and body parts out, each response followed by {@link Signal#BODY_END}, or
 * {@link Signal#BODY_END_WITH_LEFTOVERS} when bytes came after it (the connection is then never
 * reused). A response delimited by the close of the connection ends when it closes. Bytes no
 * request asked for, or that cannot be parsed, become one {@link Refused}. After a 101, bytes
 * pass through.
 *
 * <p>A connection is reused only when nothing came after its response: bytes after it in the
 * same read end its use ({@code BODY_END_WITH_LEFTOVERS}); bytes that arrive later, while it is
 * parked (after a HEAD, 204 or 304 a sloppy backend may send a body), are refused and the
 * connection closed, never kept for the next request; and binding it to a request
 * ({@link #expect}) starts from nothing.
 */
final class ResponseDecoder extends ChannelInboundHandlerAdapter {
    private enum Mode { IDLE, HEAD, BODY, TUNNEL, FAILED }

    private final HeadParser parser;
    private final BodyReader body;
    private ByteBuf cumulation;
    private Mode mode = Mode.IDLE;
    private boolean toHeadRequest;
    private boolean raw = true;
    private boolean began;
    private boolean gone;
    /** A head released for good, to parse the next response into. */
    private ResponseHead spare;
    private final Consumer<ResponseHead> recycle = h -> spare = h;

    ResponseDecoder(ProxySettings settings) {
        this.parser = new HeadParser(false, settings.maxInitialLineLength(), settings.maxHeaderSize());
        this.body = new BodyReader(settings.maxHeaderSize());
    }

    /**
     * A request was sent: the next bytes are its response.
     *
     * @param headRequest it was a HEAD (the response has no body, whatever it says)
     * @param dechunk     a chunked body is passed on without its framing (for an HTTP/1.0 client)
     */
    void expect(boolean headRequest, boolean dechunk) {
        if (cumulation != null) {
            // nothing that came before the request can be its response
            cumulation.release();
            cumulation = null;
        }
        mode = Mode.HEAD;
        toHeadRequest = headRequest;
        raw = !dechunk;
        began = false;
        parser.reset();
    }

    /** Whether any byte of the response arrived since {@link #expect}. */
    boolean began() {
        return began;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (mode == Mode.TUNNEL) {
            ctx.fireChannelRead(in);
            return;
        }
        if (mode == Mode.FAILED || gone) {
            in.release();
            return;
        }
        if (mode == Mode.IDLE) {
            in.release();
            mode = Mode.FAILED;     // nobody asked: whatever this is, the connection is done for
            ctx.fireChannelRead(new Refused(new HttpParseException(HttpParseException.Kind.MALFORMED,
                    "bytes no request asked for")));
            return;
        }
        began |= in.isReadable();
        ByteBuf buf = cumulation == null ? in : ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(ctx.alloc(), cumulation, in);
        cumulation = null;
        try {
            decode(ctx, buf);
        } catch (HttpParseException e) {
            mode = Mode.FAILED;
            ctx.fireChannelRead(new Refused(e));
        } finally {
            if (mode == Mode.TUNNEL && buf.isReadable() && !gone) {
                ctx.fireChannelRead(buf);
            } else if ((mode == Mode.HEAD || mode == Mode.BODY) && buf.isReadable() && !gone) {
                cumulation = buf;
            } else {
                buf.release();
            }
        }
    }

    private void decode(ChannelHandlerContext ctx, ByteBuf buf) throws HttpParseException {
        // the exchange may close the connection while this read is decoded: then the rest is dropped
        while (buf.isReadable() && !gone && (mode == Mode.HEAD || mode == Mode.BODY)) {
            if (mode == Mode.HEAD) {
                int length = parser.headLength(buf);
                if (length < 0) {
                    return;
                }
                ResponseHead head = parse(buf.readRetainedSlice(length));
                if (head.status() == 101) {
                    mode = Mode.TUNNEL;
                    ctx.fireChannelRead(head);
                    return;
                }
                if (!head.informational()) {
                    body.start(head.framing(), head.contentLength());
                    mode = Mode.BODY;
                }
                ctx.fireChannelRead(head);
            } else {
                ByteBuf part;
                while ((part = body.read(buf, raw)) != null) {
                    ctx.fireChannelRead(part);
                }
                if (!body.done()) {
                    return;
                }
                mode = Mode.IDLE;
                ctx.fireChannelRead(buf.isReadable() ? Signal.BODY_END_WITH_LEFTOVERS : Signal.BODY_END);
                buf.skipBytes(buf.readableBytes());
            }
        }
        if (mode == Mode.BODY && body.done()) {
            mode = Mode.IDLE;
            ctx.fireChannelRead(Signal.BODY_END);     // a body that was complete with its head
        }
    }

    private ResponseHead parse(ByteBuf raw) throws HttpParseException {
        try {
            ResponseHead into = spare;
            spare = null;
            return HeadParser.parseResponse(into, raw, toHeadRequest, recycle);
        } catch (HttpParseException e) {
            raw.release();
            throw e;
        }
    }

    /** The connection closed: a body delimited by that ends here. */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        if (mode == Mode.BODY && body.framingIs(Framing.UNTIL_CLOSE)) {
            mode = Mode.IDLE;
            ctx.fireChannelRead(Signal.BODY_END);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    private void release() {
        gone = true;
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }
}
