package io.cutover.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A blocking HTTP/1.1 client on one keep-alive connection that reads Content-Length responses. */
public final class KeepAliveClient implements AutoCloseable {
    private static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: bench\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final byte[] buf = new byte[8192];
    private int start;
    private int end;

    public KeepAliveClient(InetSocketAddress address) throws IOException {
        socket = new Socket();
        socket.connect(address, 10_000);
        socket.setSoTimeout(10_000);     // a silent proxy fails the request; it never hangs the run
        socket.setTcpNoDelay(true);
        out = socket.getOutputStream();
        in = socket.getInputStream();
    }

    /** Sends GET / and returns the body of a 200 response; anything else is an IOException. */
    public String getBody() throws IOException {
        int status = get();
        if (status != 200) {
            throw new IOException("status " + status);
        }
        return lastBody;
    }

    private String lastBody = "";
    private boolean closeAfter;

    /** Whether the last response said Connection: close (the server closes the connection after it). */
    public boolean closeAfter() {
        return closeAfter;
    }

    /** Sends GET / and reads the whole response; returns its status code. */
    public int get() throws IOException {
        out.write(REQUEST);
        closeAfter = false;
        int status = -1;
        int contentLength = 0;
        boolean first = true;
        while (true) {
            String line = line();
            if (line.isEmpty()) {
                break;
            }
            if (first) {
                status = Integer.parseInt(line.substring(9, 12));
                first = false;
            } else if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                contentLength = Integer.parseInt(line.substring(15).trim());
            } else if (line.regionMatches(true, 0, "connection:", 0, 11)) {
                closeAfter = line.substring(11).trim().equalsIgnoreCase("close");
            }
        }
        lastBody = read(contentLength);
        return status;
    }

    private String read(int n) throws IOException {
        if (n <= 64) {
            StringBuilder sb = new StringBuilder(n);
            for (int i = 0; i < n; i++) {
                if (start == end) {
                    fill();
                }
                sb.append((char) buf[start++]);
            }
            return sb.toString();
        }
        skip(n);
        return "";
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder(64);
        while (true) {
            if (start == end) {
                fill();
            }
            byte b = buf[start++];
            if (b == '\n') {
                int n = sb.length();
                return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
            }
            sb.append((char) b);
        }
    }

    private void skip(int n) throws IOException {
        while (n > 0) {
            if (start == end) {
                fill();
            }
            int take = Math.min(n, end - start);
            start += take;
            n -= take;
        }
    }

    private void fill() throws IOException {
        start = 0;
        end = in.read(buf);
        if (end <= 0) {
            throw new IOException("connection closed");
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
