package io.cutover.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.util.AbstractReferenceCounted;
import java.nio.charset.StandardCharsets;

/**
 * A parsed response head: the bytes as received, and what the proxy needs from them. Reference
 * counted: the last {@link #release()} lets go of {@link #raw()}.
 */
public final class ResponseHead extends AbstractReferenceCounted {
    final ByteBuf raw;
    int status;
    boolean http10;
    /** Where the status code starts: the client gets "HTTP/1.1" and the rest of the line from here. */
    int statusStart;
    int lineEnd;
    long contentLength = -1;
    boolean chunked;
    boolean close;
    boolean keepAlive;
    boolean connectionNamesOthers;
    int upgradeStart = -1;
    int upgradeEnd = -1;
    Framing framing;

    ResponseHead(ByteBuf raw) {
        this.raw = raw;
    }

    public ByteBuf raw() {
        return raw;
    }

    public int status() {
        return status;
    }

    /** 1xx other than 101: more heads follow before the final one. */
    public boolean informational() {
        return status >= 100 && status < 200 && status != 101;
    }

    public Framing framing() {
        return framing;
    }

    public long contentLength() {
        return contentLength;
    }

    /** Whether the backend keeps its connection after this response. */
    public boolean keepAlive() {
        return framing != Framing.UNTIL_CLOSE && (http10 ? keepAlive && !close : !close);
    }

    /** The protocol a 101 switches to, or null. */
    public String upgrade() {
        return upgradeStart < 0 ? null
                : raw.toString(upgradeStart, upgradeEnd - upgradeStart, StandardCharsets.ISO_8859_1);
    }

    /** The last release lets go of the head's bytes. */
    @Override
    protected void deallocate() {
        raw.release();
    }

    @Override
    public ResponseHead touch(Object hint) {
        raw.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        return "HTTP " + status;
    }
}
