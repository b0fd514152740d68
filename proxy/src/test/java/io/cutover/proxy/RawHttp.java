package io.cutover.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP/1.1 client over a plain socket, for tests that need exact bytes on the wire (headers
 * the JDK client will not send, several requests on one connection, malformed input).
 */
public final class RawHttp implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    /** How long any read waits for a byte; a read that waits longer fails the test. */
    public static final int READ_TIMEOUT_MS = 15_000;

    public RawHttp(InetSocketAddress address) throws IOException {
        this.socket = socket(address);
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** A plain socket connected to {@code address} whose reads time out after {@link #READ_TIMEOUT_MS}. */
    public static Socket socket(InetSocketAddress address) throws IOException {
        Socket s = new Socket();
        s.connect(address, READ_TIMEOUT_MS);
        s.setSoTimeout(READ_TIMEOUT_MS);
        return s;
    }

    public RawHttp send(String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return this;
    }

    /** Reads one response: Content-Length, chunked, or (with Connection: close) to the end. */
    public Response read() throws IOException {
        String status = line();
        if (status == null) {
            throw new IOException("connection closed before a response");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String l = line(); l != null && !l.isEmpty(); l = line()) {
            int colon = l.indexOf(':');
            headers.merge(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 1).trim(),
                    (a, b) -> a + ", " + b);
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (headers.containsKey("content-length")) {
            int length = Integer.parseInt(headers.get("content-length"));
            byte[] bytes = in.readNBytes(length);
            if (bytes.length < length) {
                throw new java.io.EOFException("body cut after " + bytes.length + " of " + length + " bytes");
            }
            body.write(bytes);
        } else if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            for (int size = Integer.parseInt(line().trim(), 16); size > 0; size = Integer.parseInt(line().trim(), 16)) {
                byte[] bytes = in.readNBytes(size);
                if (bytes.length < size) {
                    throw new java.io.EOFException("chunk cut after " + bytes.length + " of " + size + " bytes");
                }
                body.write(bytes);
                line();
            }
            line();
        } else if ("close".equalsIgnoreCase(headers.get("connection"))) {
            body.write(in.readAllBytes());
        }
        return new Response(Integer.parseInt(status.split(" ")[1]), headers, body.toString(StandardCharsets.UTF_8));
    }

    /**
     * Reads raw bytes until what was read ends with {@code marker} (the next event of a stream),
     * and returns them; fails if the connection ends or the read times out first.
     */
    public String readUntil(String marker) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith(marker)) {
            int c = in.read();
            if (c == -1) {
                throw new java.io.EOFException("closed before '" + marker.strip() + "'; got: " + sb);
            }
            sb.append((char) c);
        }
        return sb.toString();
    }

    /** Reads exactly n raw bytes (after an upgrade), or fails if the connection ends first. */
    public String readRaw(int n) throws IOException {
        byte[] bytes = in.readNBytes(n);
        if (bytes.length < n) {
            throw new java.io.EOFException("got " + bytes.length + " of " + n + " bytes");
        }
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /**
     * Whether the server closed the connection: true on end of stream or a reset, false if it sent
     * another byte. Silence is neither: a read that times out fails the test, so a proxy that
     * stops answering without closing cannot pass for one that closed.
     */
    public boolean closedByPeer() throws IOException {
        try {
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the connection was neither closed nor written to within "
                    + socket.getSoTimeout() + " ms", e);
        } catch (SocketException e) {
            return true;    // reset by the peer
        }
    }

    /** Shortens the read timeout (for a test that expects a close well within it). */
    public RawHttp readTimeout(int millis) throws IOException {
        socket.setSoTimeout(millis);
        return this;
    }

    private String line() throws IOException {
        return line(in);
    }

    /** One line of a response head (without its CRLF), or null at the end of the stream. */
    static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                int len = sb.length();
                return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
            }
            sb.append((char) c);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    public record Response(int status, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }
}
