package io.cutover.proxy.http;

import io.cutover.proxy.http.HttpParseException.Kind;
import io.netty.buffer.ByteBuf;

/**
 * Finds where a body ends and hands it on as slices of what was read, never copied: a
 * Content-Length body, a chunked body (validated chunk by chunk: size line, CRLF, trailers,
 * overflow; passed on with its chunk framing as it came, or without it for an HTTP/1.0
 * client), or a response that ends when the backend closes.
 */
public final class BodyReader {
    private static final int MAX_EXTENSION = 4096;

    private enum State { SIZE, EXTENSION, SIZE_LF, DATA, DATA_CR, DATA_LF, TRAILER, TRAILER_LINE, TRAILER_LF, END_LF, DONE }

    private final int maxTrailerSize;
    private Framing framing = Framing.NONE;
    private long remaining;
    private long dataBytes;
    private State state;
    private long size;
    private int digits;
    private int extension;
    private int trailer;

    /** @param maxTrailerSize the largest trailer section of a chunked body */
    public BodyReader(int maxTrailerSize) {
        this.maxTrailerSize = maxTrailerSize;
    }

    /** Starts on a body of this framing ({@code length} for {@link Framing#LENGTH}). */
    public void start(Framing framing, long length) {
        this.framing = framing;
        this.remaining = length;
        this.dataBytes = 0;
        this.state = State.SIZE;
        this.size = 0;
        this.digits = 0;
        this.extension = 0;
        this.trailer = 0;
    }

    /** Whether the whole body has been read (an until-close body never is). */
    public boolean done() {
        return switch (framing) {
            case NONE -> true;
            case LENGTH -> remaining == 0;
            case CHUNKED -> state == State.DONE;
            case UNTIL_CLOSE -> false;
        };
    }

    public boolean framingIs(Framing f) {
        return framing == f;
    }

    /** Bytes of content read so far (chunk framing not counted). */
    public long dataBytes() {
        return dataBytes;
    }

    /**
     * Takes the next part of the body from {@code in} (advancing its reader index) and returns it
     * as a retained slice, or null if {@code in} holds none (or only chunk framing, when
     * {@code raw} is false). Bytes after the body stay in {@code in}. Call again until it
     * returns null.
     *
     * @param raw chunked bodies with their framing (to pass on as they came), or content only
     */
    public ByteBuf read(ByteBuf in, boolean raw) throws HttpParseException {
        return switch (framing) {
            case NONE -> null;
            case LENGTH -> {
                int n = (int) Math.min(remaining, in.readableBytes());
                remaining -= n;
                dataBytes += n;
                yield n == 0 ? null : in.readRetainedSlice(n);
            }
            case UNTIL_CLOSE -> {
                int n = in.readableBytes();
                dataBytes += n;
                yield n == 0 ? null : in.readRetainedSlice(n);
            }
            case CHUNKED -> chunked(in, raw);
        };
    }

    private ByteBuf chunked(ByteBuf in, boolean raw) throws HttpParseException {
        int start = in.readerIndex();
        int end = in.writerIndex();
        int i = start;
        while (i < end && state != State.DONE) {
            if (state == State.DATA) {
                int n = (int) Math.min(remaining, end - i);
                if (!raw) {
                    in.readerIndex(i);
                    advanceData(n);
                    return in.readRetainedSlice(n);
                }
                advanceData(n);
                i += n;
                continue;
            }
            step(in.getByte(i++));
        }
        if (!raw || i == start) {
            in.readerIndex(i);
            return null;
        }
        in.readerIndex(i);
        return in.retainedSlice(start, i - start);
    }

    private void advanceData(int n) {
        remaining -= n;
        dataBytes += n;
        if (remaining == 0) {
            state = State.DATA_CR;
        }
    }

    private void step(byte b) throws HttpParseException {
        switch (state) {
            case SIZE -> {
                int d = Character.digit(b, 16);
                if (d >= 0) {
                    if (size > (Long.MAX_VALUE >> 4)) {
                        throw malformed("a chunk size overflows");
                    }
                    size = size << 4 | d;
                    digits++;
                } else if (digits > 0 && (b == ';' || HttpChars.ows(b))) {
                    state = State.EXTENSION;
                } else if (digits > 0 && b == '\r') {
                    state = State.SIZE_LF;
                } else {
                    throw malformed("a malformed chunk size");
                }
            }
            case EXTENSION -> {
                if (b == '\r') {
                    state = State.SIZE_LF;
                } else if (!HttpChars.fieldValue(b) || ++extension > MAX_EXTENSION) {
                    throw malformed("a malformed chunk extension");
                }
            }
            case SIZE_LF -> {
                expect(b, '\n');
                if (size == 0) {
                    state = State.TRAILER;
                } else {
                    remaining = size;
                    state = State.DATA;
                }
                size = 0;
                digits = 0;
                extension = 0;
            }
            case DATA_CR -> {
                expect(b, '\r');
                state = State.DATA_LF;
            }
            case DATA_LF -> {
                expect(b, '\n');
                state = State.SIZE;
            }
            case TRAILER -> {
                if (b == '\r') {
                    state = State.END_LF;
                } else if (HttpChars.tchar(b)) {
                    trailer();
                    state = State.TRAILER_LINE;
                } else {
                    throw malformed("a malformed trailer");
                }
            }
            case TRAILER_LINE -> {
                if (b == '\r') {
                    state = State.TRAILER_LF;
                } else if (!HttpChars.fieldValue(b)) {
                    throw malformed("a malformed trailer");
                } else {
                    trailer();
                }
            }
            case TRAILER_LF -> {
                expect(b, '\n');
                state = State.TRAILER;
            }
            case END_LF -> {
                expect(b, '\n');
                state = State.DONE;
            }
            default -> throw new IllegalStateException(state.toString());
        }
    }

    private void trailer() throws HttpParseException {
        if (++trailer > maxTrailerSize) {
            throw malformed("a trailer section over " + maxTrailerSize + " bytes");
        }
    }

    private static void expect(byte b, char c) throws HttpParseException {
        if (b != c) {
            throw malformed("malformed chunk framing");
        }
    }

    private static HttpParseException malformed(String why) {
        return new HttpParseException(Kind.MALFORMED, why);
    }
}
