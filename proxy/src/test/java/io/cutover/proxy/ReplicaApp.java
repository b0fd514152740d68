package io.cutover.proxy;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One replica of an app, on a plain server socket (127.0.0.1, port 0 or a port given), speaking
 * keep-alive HTTP/1.1 with Content-Length bodies. Every answer is its name, except:
 * <ul>
 *   <li>{@code /hold}: answered only once {@link #release} is called (or after 30 s)</li>
 *   <li>a POST: the number of body bytes it read</li>
 *   <li>{@code Upgrade: echo}: 101, then every byte echoed, prefixed with its name</li>
 * </ul>
 * {@link #stop} is an instance going away: its listener closes, its idle connections close at
 * once (a request on its way in is lost, unread, as when a process exits), a busy one after its
 * response (without saying {@code Connection: close}, as a dying process does not).
 */
public final class ReplicaApp implements AutoCloseable {
    private final String name;
    private final ServerSocket server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final Set<Conn> conns = ConcurrentHashMap.newKeySet();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger holding = new AtomicInteger();
    private volatile CountDownLatch held = new CountDownLatch(1);
    private volatile boolean stopping;

    /** A connection and whether a request on it is being answered; guarded by itself. */
    private static final class Conn {
        final Socket socket;
        boolean busy;
        boolean closed;

        Conn(Socket socket) {
            this.socket = socket;
        }

        synchronized boolean begin() {
            if (closed) {
                return false;
            }
            busy = true;
            return true;
        }

        synchronized void end(boolean close) throws IOException {
            busy = false;
            if (close) {
                closeNow();
            }
        }

        synchronized void closeIfIdle() throws IOException {
            if (!busy) {
                closeNow();
            }
        }

        synchronized void closeNow() throws IOException {
            closed = true;
            socket.close();
        }
    }

    private ReplicaApp(String name, int port) throws IOException {
        this.name = name;
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 512);
        executor.execute(this::accept);
    }

    public static ReplicaApp start(String name) throws IOException {
        return new ReplicaApp(name, 0);
    }

    /** On a port of its own choosing (an instance coming back where it was). */
    public static ReplicaApp start(String name, int port) throws IOException {
        return new ReplicaApp(name, port);
    }

    public String name() {
        return name;
    }

    public Target target() {
        return new Target("127.0.0.1", server.getLocalPort());
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Requests it began to answer (held ones included). */
    public int requests() {
        return requests.get();
    }

    /** Requests waiting for {@link #release} now. */
    public int holding() {
        return holding.get();
    }

    /** Answers every held request (and those held from now on, until the next {@link #holdAgain}). */
    public void release() {
        held.countDown();
    }

    /** Holds {@code /hold} requests again. */
    public void holdAgain() {
        held = new CountDownLatch(1);
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
                s.setSoTimeout(30_000);     // never waits for ever on a silent proxy
                s.setTcpNoDelay(true);
            } catch (IOException e) {
                return;
            }
            Conn c = new Conn(s);
            conns.add(c);
            if (stopping) {
                closeQuietly(c);
            }
            executor.execute(() -> {
                try {
                    serve(c);
                } catch (IOException | InterruptedException ignored) {
                    // the peer went away, or this replica stopped
                } finally {
                    conns.remove(c);
                    closeQuietly(c);
                }
            });
        }
    }

    private void serve(Conn c) throws IOException, InterruptedException {
        InputStream in = new BufferedInputStream(c.socket.getInputStream());
        while (true) {
            String head = ScriptedBackend.readHead(in);
            if (head == null || !c.begin()) {
                return;
            }
            requests.incrementAndGet();
            String lower = head.toLowerCase(Locale.ROOT);
            String path = head.substring(head.indexOf(' ') + 1, head.indexOf(' ', head.indexOf(' ') + 1));
            if (lower.contains("\r\nupgrade: echo")) {
                ScriptedBackend.write(c.socket, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n");
                int b;
                while ((b = in.read()) != -1) {
                    ScriptedBackend.write(c.socket, name + (char) b);
                }
                return;
            }
            long length = contentLength(lower);
            long read = in.readNBytes((int) length).length;
            String body;
            if (head.startsWith("POST ")) {
                body = Long.toString(read);
            } else if (path.startsWith("/hold")) {
                holding.incrementAndGet();
                try {
                    held.await(30, TimeUnit.SECONDS);
                } finally {
                    holding.decrementAndGet();
                }
                body = name;
            } else {
                body = name;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ScriptedBackend.write(c.socket, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                    + bytes.length + "\r\n\r\n" + body);
            c.end(stopping);
            if (stopping) {
                return;
            }
        }
    }

    private static long contentLength(String lowerHead) {
        int at = lowerHead.indexOf("\r\ncontent-length:");
        if (at < 0) {
            return 0;
        }
        int end = lowerHead.indexOf("\r\n", at + 2);
        return Long.parseLong(lowerHead.substring(at + 17, end).trim());
    }

    /**
     * Goes away: the listener closes (new connections are refused), idle connections close now,
     * busy ones once their response is written.
     */
    public void stop() throws IOException {
        stopping = true;
        server.close();
        for (Conn c : conns) {
            c.closeIfIdle();
        }
    }

    private static void closeQuietly(Conn c) {
        try {
            c.closeNow();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        stop();
        release();
        for (Conn c : conns) {
            closeQuietly(c);
        }
        executor.shutdownNow();
    }
}
