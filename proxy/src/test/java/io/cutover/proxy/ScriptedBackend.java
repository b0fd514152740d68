package io.cutover.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend on a plain server socket (127.0.0.1, port 0) whose every connection runs a script:
 * for misbehaviour a real HTTP server will not produce (closing a keep-alive connection without
 * notice, never answering, malformed responses, dying mid-body).
 */
public final class ScriptedBackend implements AutoCloseable {
    /** What to do with one accepted connection. */
    public interface Script {
        void run(Socket socket, ScriptedBackend backend) throws IOException, InterruptedException;
    }

    private final ServerSocket server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();

    private ScriptedBackend(Script script) throws IOException {
        this.server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        executor.execute(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    s.setSoTimeout(30_000);     // a script never waits for ever on a silent proxy
                    sockets.add(s);
                    connections.incrementAndGet();
                    executor.execute(() -> {
                        try (s) {
                            script.run(s, this);
                        } catch (IOException | InterruptedException ignored) {
                            // the script's peer went away
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    public static ScriptedBackend start(Script script) throws IOException {
        return new ScriptedBackend(script);
    }

    public Target target() {
        return new Target("127.0.0.1", server.getLocalPort());
    }

    public int connections() {
        return connections.get();
    }

    /** Reads one request head (through the blank line); null if the peer closed first. */
    public static String readHead(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            sb.append((char) c);
            if (sb.length() >= 4 && sb.substring(sb.length() - 4).equals("\r\n\r\n")) {
                return sb.toString();
            }
        }
        return null;
    }

    public static void write(Socket s, String raw) throws IOException {
        s.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
        executor.shutdownNow();
    }
}
