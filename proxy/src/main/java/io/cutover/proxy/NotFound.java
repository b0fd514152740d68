package io.cutover.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/** No app takes the request's host and path: 404 with a short text, the way a virtual-host server says it. */
final class NotFound implements Route {
    static final NotFound INSTANCE = new NotFound();
    private static final byte[] BODY = "404 no app here: nothing is configured for this host and path\n"
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEEP = answer(true);
    private static final byte[] CLOSE = answer(false);

    private NotFound() {
    }

    ByteBuf response(boolean keepAlive) {
        return Unpooled.wrappedBuffer(keepAlive ? KEEP : CLOSE);
    }

    private static byte[] answer(boolean keepAlive) {
        return LocalAnswer.bytes(404, "Not Found", "text/plain", BODY, "", keepAlive);
    }
}
