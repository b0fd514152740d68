package io.cutover.control.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The smallest HTTP/1.1 client for the admin API, over TCP or a unix socket ({@code --admin unix:PATH}):
 * one request per connection ({@code Connection: close}), the response read to EOF within an
 * overall deadline. The CLI uses it rather than {@code java.net.http.HttpClient}, whose start (a
 * selector thread and some 250 classes) took a third of a short command's time.
 */
final class AdminHttp {
    private static final int MAX_RESPONSE = 16 * 1024 * 1024;
    /** How long a refused connection is tried again (a takeover moves its socket in within this). */
    private static final Duration CONNECT_RETRY = Duration.ofSeconds(3);

    record Response(int status, byte[] body) {
    }

    private AdminHttp() {
    }

    /**
     * @param target the path and query, e.g. {@code /v1/status?app=web}
     * @param body   null for a GET; sent as application/json otherwise
     */
    static Response unix(Path socket, String method, String target, String token, byte[] body, Duration deadline)
            throws IOException, InterruptedException, TimeoutException {
        long retryUntil = System.nanoTime() + CONNECT_RETRY.toNanos();
        while (true) {
            try {
                return once(socket, method, target, token, body, deadline);
            } catch (NotConnected e) {
                // nothing was sent: while the file is there, a takeover may be moving a new socket to it
                if (System.nanoTime() - retryUntil > 0 || !java.nio.file.Files.exists(socket)) {
                    throw e.cause;
                }
                Thread.sleep(50);
            }
        }
    }

    /** A TCP connection that was not made within its timeout: no byte of the request was sent. */
    static final class ConnectTimeout extends IOException {
        ConnectTimeout(String message) {
            super(message);
        }
    }

    /**
     * One request over TCP: the connection made within {@code connectTimeout}, the answer read to
     * EOF within {@code deadline} of the start (each read waits at most for what is left of it).
     *
     * @param authority the Host header, e.g. {@code 127.0.0.1:8099}
     * @throws ConnectTimeout   if no connection was made within connectTimeout
     * @throws TimeoutException if the answer did not end within the deadline
     */
    static Response tcp(String host, int port, String authority, String method, String target, String token,
            byte[] body, Duration connectTimeout, Duration deadline) throws IOException, TimeoutException {
        long end = System.nanoTime() + deadline.toNanos();
        try (Socket socket = new Socket()) {
            try {
                socket.connect(new InetSocketAddress(host, port), (int) Math.max(1, connectTimeout.toMillis()));
            } catch (SocketTimeoutException e) {
                throw new ConnectTimeout("connecting timed out");
            }
            OutputStream out = socket.getOutputStream();
            out.write(request(method, authority, target, token, body));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            while (true) {
                long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
                if (left <= 0) {
                    throw new TimeoutException();
                }
                socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
                int n;
                try {
                    n = in.read(buf);
                } catch (SocketTimeoutException e) {
                    throw new TimeoutException();
                }
                if (n < 0) {
                    return parse(got.toByteArray());
                }
                got.write(buf, 0, n);
                if (got.size() > MAX_RESPONSE) {
                    throw new IOException("response over " + MAX_RESPONSE + " bytes");
                }
            }
        }
    }

    /** A connection that could not be made: no byte of the request was sent. */
    private static final class NotConnected extends IOException {
        private final IOException cause;

        NotConnected(IOException cause) {
            super(cause);
            this.cause = cause;
        }
    }

    private static Response once(Path socket, String method, String target, String token, byte[] body, Duration deadline)
            throws IOException, InterruptedException, TimeoutException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        CompletableFuture<byte[]> exchange = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                exchange.complete(exchange(ch, socket, request(method, "localhost", target, token, body)));
            } catch (Throwable e) {
                exchange.completeExceptionally(e);
            }
        }, "admin-unix");
        t.setDaemon(true);
        t.start();
        try {
            return parse(exchange.get(deadline.toMillis(), TimeUnit.MILLISECONDS));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        } finally {
            ch.close();     // unblocks the reader on a timeout or an interrupt
        }
    }

    private static byte[] request(String method, String host, String target, String token, byte[] body) {
        StringBuilder head = new StringBuilder()
                .append(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                .append("Host: ").append(host).append("\r\n")
                .append("Connection: close\r\n");
        if (token != null && !token.isBlank()) {
            head.append("Authorization: Bearer ").append(token.trim()).append("\r\n");
        }
        if (body != null) {
            head.append("Content-Type: application/json\r\n")
                    .append("Content-Length: ").append(body.length).append("\r\n");
        }
        head.append("\r\n");
        byte[] h = head.toString().getBytes(StandardCharsets.US_ASCII);
        if (body == null) {
            return h;
        }
        byte[] all = new byte[h.length + body.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return all;
    }

    private static byte[] exchange(SocketChannel ch, Path socket, byte[] request) throws IOException {
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            throw new NotConnected(e);
        }
        ByteBuffer out = ByteBuffer.wrap(request);
        while (out.hasRemaining()) {
            ch.write(out);
        }
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(8192);
        while (ch.read(buf) >= 0) {
            in.write(buf.array(), 0, buf.position());
            buf.clear();
            if (in.size() > MAX_RESPONSE) {
                throw new IOException("response over " + MAX_RESPONSE + " bytes");
            }
        }
        return in.toByteArray();
    }

    /** Status line, headers, and the body (Content-Length bytes, else up to EOF). */
    static Response parse(byte[] raw) throws IOException {
        int end = -1;
        for (int i = 0; i + 3 < raw.length; i++) {
            if (raw[i] == '\r' && raw[i + 1] == '\n' && raw[i + 2] == '\r' && raw[i + 3] == '\n') {
                end = i;
                break;
            }
        }
        if (end < 0) {
            throw new IOException(raw.length == 0 ? "connection closed with no response" : "incomplete response");
        }
        String[] lines = new String(raw, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2 || !status[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP response: " + lines[0]);
        }
        int code;
        try {
            code = Integer.parseInt(status[1]);
        } catch (NumberFormatException e) {
            throw new IOException("not an HTTP status: " + lines[0]);
        }
        int start = end + 4;
        int length = raw.length - start;
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            String name = colon > 0 ? lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT) : "";
            if (name.equals("transfer-encoding")) {
                // cutover's admin API always answers with a length; something else answered
                throw new IOException("unexpected answer, with " + lines[i] + ": is --admin cutover's admin API?");
            }
            if (name.equals("content-length")) {
                try {
                    length = Integer.parseInt(lines[i].substring(colon + 1).trim());
                } catch (NumberFormatException e) {
                    throw new IOException("bad Content-Length: " + lines[i]);
                }
                if (length < 0 || length > raw.length - start) {
                    throw new IOException("response body cut short");
                }
            }
        }
        return new Response(code, java.util.Arrays.copyOfRange(raw, start, start + length));
    }
}
