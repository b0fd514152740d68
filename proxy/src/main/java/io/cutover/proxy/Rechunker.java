package io.cutover.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import java.nio.charset.StandardCharsets;

/**
 * How a response body goes to the client: as it came, or, for a body the backend delimits by
 * closing its connection (sent to an HTTP/1.1 client, which keeps its connection), cut into chunks
 * with a last chunk at its end.
 */
enum Rechunker {
    /** The body goes as it came. */
    AS_IS,
    /** Each part goes as one chunk; the end is the last chunk. */
    CHUNKED;

    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** The framing for a response of this {@code framing}, to a client of that HTTP version. */
    static Rechunker of(boolean http10Client, io.cutover.proxy.http.Framing framing) {
        return !http10Client && framing == io.cutover.proxy.http.Framing.UNTIL_CLOSE ? CHUNKED : AS_IS;
    }

    /** Writes one part of the body (not flushed). */
    void write(ChannelHandlerContext client, ByteBuf part) {
        if (this == CHUNKED) {
            ByteBuf size = client.alloc().directBuffer(18);
            ByteBufUtil.writeAscii(size, Integer.toHexString(part.readableBytes()));
            size.writeBytes(CRLF);
            client.write(size, client.voidPromise());
            client.write(part, client.voidPromise());
            client.write(client.alloc().directBuffer(2).writeBytes(CRLF), client.voidPromise());
        } else {
            client.write(part, client.voidPromise());
        }
    }

    /** The body ended (not flushed). */
    void end(ChannelHandlerContext client) {
        if (this == CHUNKED) {
            client.write(client.alloc().directBuffer(5).writeBytes(LAST_CHUNK), client.voidPromise());
        }
    }
}
