package io.cutover.proxy.http;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;

/**
 * The parser on its own, with arbitrary bytes in arbitrary pieces: nothing but an
 * {@link HttpParseException} may escape, where a head ends must not depend on how it arrived,
 * and on every input that both this parser and Netty's strict request decoder take, the two
 * must agree on the method, the target, Host, Content-Length and the body's bytes.
 */
class HeadParserFuzzTest {
    private static final int MAX_LINE = 512;
    private static final int MAX_HEADERS = 1024;

    @FuzzTest(maxDuration = "30s")
    void arbitraryBytesParseTheSameHoweverSplitAndAgreeWithNetty(FuzzedDataProvider data) throws Exception {
        int split = data.consumeInt(1, 64);
        byte[] input = data.consumeRemainingAsBytes();
        Parsed ours = ours(input, input.length);
        Parsed piecewise = ours(input, split);
        if (ours.headLength != piecewise.headLength || ours.failed != piecewise.failed) {
            throw new AssertionError("split at " + split + " changed the result: " + ours + " / " + piecewise);
        }
        Parsed netty = netty(input);
        if (ours.complete() && netty.complete()) {
            if (!ours.method.equals(netty.method) || !ours.target.equals(netty.target)
                    || !java.util.Objects.equals(ours.host, netty.host) || ours.length != netty.length
                    || !ours.body.equals(netty.body)) {
                throw new AssertionError("parsers disagree:\n ours  " + ours + "\n netty " + netty);
            }
        }
    }

    /** What a parse found (a record would do, but the fields fill in step by step). */
    private static final class Parsed {
        int headLength = -1;
        boolean failed;
        boolean bodyDone;
        String method;
        String target;
        String host;
        long length = -1;
        String body = "";

        boolean complete() {
            return !failed && method != null && bodyDone;
        }

        @Override
        public String toString() {
            return "head=" + headLength + " failed=" + failed + " " + method + " " + target + " host=" + host
                    + " length=" + length + " body=" + body.length() + (bodyDone ? "" : "+");
        }
    }

    private static Parsed ours(byte[] input, int step) {
        Parsed p = new Parsed();
        HeadParser parser = new HeadParser(true, MAX_LINE, MAX_HEADERS);
        ByteBuf buf = Unpooled.buffer();
        try {
            for (int i = 0; i < input.length && p.headLength < 0; i += step) {
                buf.writeBytes(input, i, Math.min(step, input.length - i));
                p.headLength = parser.headLength(buf);
            }
            if (p.headLength < 0) {
                return p;
            }
            buf.writeBytes(input, buf.writerIndex(), input.length - buf.writerIndex());
            RequestHead head = HeadParser.parseRequest(buf.readRetainedSlice(p.headLength));
            try {
                p.method = head.method();
                p.target = head.target();
                p.host = head.host();
                p.length = head.contentLength();
                BodyReader body = new BodyReader(MAX_HEADERS);
                body.start(head.framing(), head.contentLength());
                StringBuilder sb = new StringBuilder();
                ByteBuf part;
                while ((part = body.read(buf, false)) != null) {
                    sb.append(part.toString(StandardCharsets.ISO_8859_1));
                    part.release();
                }
                p.body = sb.toString();
                p.bodyDone = body.done();
            } finally {
                head.release();
            }
        } catch (HttpParseException e) {
            p.failed = true;
        } finally {
            buf.release();
        }
        return p;
    }

    private static Parsed netty(byte[] input) {
        Parsed p = new Parsed();
        EmbeddedChannel ch = new EmbeddedChannel(new HttpRequestDecoder(new HttpDecoderConfig()
                .setMaxInitialLineLength(MAX_LINE).setMaxHeaderSize(MAX_HEADERS).setStrictLineParsing(true)
                .setUseRfc9112TransferEncoding(true).setAllowDuplicateContentLengths(false).setValidateHeaders(true)));
        try {
            ch.writeInbound(Unpooled.wrappedBuffer(input));
            StringBuilder sb = new StringBuilder();
            Object msg;
            while ((msg = ch.readInbound()) != null) {
                try {
                    if (msg instanceof HttpRequest r) {
                        if (p.method != null || r.decoderResult().isFailure()) {
                            p.failed |= r.decoderResult().isFailure();
                            break;
                        }
                        p.method = r.method().name();
                        p.target = r.uri();
                        p.host = r.headers().get(HttpHeaderNames.HOST);
                        p.length = r.headers().contains(HttpHeaderNames.CONTENT_LENGTH)
                                ? Long.parseLong(r.headers().get(HttpHeaderNames.CONTENT_LENGTH)) : -1;
                    }
                    if (msg instanceof HttpContent c) {
                        if (c.decoderResult().isFailure()) {
                            p.failed = true;
                            break;
                        }
                        sb.append(c.content().toString(StandardCharsets.ISO_8859_1));
                        if (c instanceof LastHttpContent) {
                            p.bodyDone = true;
                            break;
                        }
                    }
                } finally {
                    ReferenceCountUtil.release(msg);
                }
            }
            p.body = sb.toString();
        } catch (RuntimeException e) {
            p.failed = true;
        } finally {
            ch.finishAndReleaseAll();
        }
        return p;
    }
}
