package io.cutover.proxy.http;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * A parsed response head: the bytes as received, and what the proxy needs from them. Reference
 * counted: the last {@link #release()} lets go of {@link #raw()}.
 */
public final class ResponseHead extends HeadFields {
    ByteBuf raw;
    private java.util.function.Consumer<ResponseHead> recycler;
    int status;
    boolean http10;
    /** Where the status code starts: the client gets "HTTP/1.1" and the rest of the line from here. */
    int statusStart;
    int lineEnd;
    Framing framing;

    ResponseHead() {
    }

    /** Takes on a new head's bytes (a fresh object, or one handed back to its decoder). */
    ResponseHead reset(ByteBuf bytes, java.util.function.Consumer<ResponseHead> recycle) {
        resetFields();
        status = statusStart = lineEnd = 0;
        http10 = false;
        framing = null;
        this.raw = bytes;
        this.recycler = recycle;
        return this;
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
        ByteBuf bytes = raw;
        raw = null;
        bytes.release();
        if (recycler != null) {
            recycler.accept(this);
        }
    }

    @Override
    public ResponseHead touch(Object hint) {
        if (raw != null) {
            raw.touch(hint);
        }
        return this;
    }

    @Override
    public String toString() {
        return "HTTP " + status;
    }
}
