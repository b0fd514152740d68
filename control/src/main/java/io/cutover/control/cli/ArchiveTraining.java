package io.cutover.control.cli;

import io.cutover.control.Cutover;
import io.cutover.control.config.ConfigLoader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;

/**
 * The run the class-data archive is made from ({@code ./mvnw package} runs it with
 * {@code -XX:DumpLoadedClassList}, then dumps a static archive from that list, as packaging/deb's
 * postinst does): a cutover started on loopback ports 0 with a temporary state directory, as
 * {@code serve} starts one, in front of two tiny backends of its own (loopback port 0); a few
 * requests through it, a {@code switch} to the second backend and one back, then {@code status},
 * {@code history} and the help against it, in this JVM; then it stops and removes its state
 * directory. The classes these load (and the lambdas they link) are those the archive holds, so
 * that {@code cutover status} and {@code cutover serve} start from it, and a serve's first switch
 * finds its path's code there instead of making it then. Not a command: it binds nothing but
 * loopback port 0 and writes nothing but its temporary directory (and what the JVM is told to
 * write).
 */
public final class ArchiveTraining {
    private ArchiveTraining() {
    }

    /** Beyond this the run has hung somewhere: the JVM exits, and the archive holds what loaded. */
    private static final long LIMIT_MILLIS = 90_000;

    /**
     * Never fails the build: whatever goes wrong (no loopback, a start that throws, a hang), the
     * JVM exits 0 with a warning, and the archive is written at exit with what loaded.
     *
     * @param args the directory the temporary state directory is made in (the build's target/),
     *             else the system's temporary directory
     */
    public static void main(String[] args) {
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(LIMIT_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
            System.err.println("cutover: the archive's training run took over " + LIMIT_MILLIS / 1000
                    + " s; the archive holds what loaded by then");
            System.exit(0);
        }, "archive-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        try {
            train(args.length > 0 ? Path.of(args[0]) : null);
        } catch (Throwable e) {
            System.err.println("cutover: the archive's training run failed (" + e
                    + "); the archive holds what loaded by then");
        }
        System.exit(0);
    }

    private static void train(Path under) throws Exception {
        Main.nettyDefaults();     // as cutover serve runs: the classes it loads are those archived
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.WARN);
        Path state = under == null ? Files.createTempDirectory("cutover-archive")
                : Files.createTempDirectory(under, "archive-state");
        StringWriter printed = new StringWriter();
        PrintWriter sink = new PrintWriter(printed, true);
        int failed = 0;
        try (TinyBackend a = TinyBackend.start(); TinyBackend b = TinyBackend.start();
             Cutover cutover = Cutover.start(ConfigLoader.load(Optional.empty(), Map.of(
                "cutover.listen", "127.0.0.1:0", "cutover.admin", "127.0.0.1:0",
                "cutover.state-dir", state.toString(), "cutover.target", a.target())), Clock.systemUTC())) {
            String admin = "127.0.0.1:" + cutover.adminAddress().getPort();
            failed += throughProxy(cutover.proxyAddress());
            for (String[] command : new String[][] {
                    {"switch", "--admin", admin, "--state-dir", state.toString(), b.target()},
                    {"switch", "--admin", admin, "--state-dir", state.toString(), a.target()},
                    {"status", "--admin", admin, "--state-dir", state.toString()},
                    {"history", "--admin", admin, "--state-dir", state.toString()},
                    {"--help"}, {"--version"}}) {
                if (Main.execute(command, sink, sink) != 0) {
                    failed++;
                }
            }
        } finally {
            delete(state);
        }
        if (failed > 0) {
            // the archive is still usable (it holds what loaded); say so, and fail no build for it
            System.err.println("cutover: " + failed + " of the archive's training commands failed:\n" + printed);
        }
    }

    /** A GET and a POST through the proxy on one keep-alive connection; 1 if either was not answered 200. */
    private static int throughProxy(java.net.InetSocketAddress proxy) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(proxy, 5_000);
            s.setSoTimeout(5_000);
            java.io.OutputStream out = s.getOutputStream();
            java.io.InputStream in = s.getInputStream();
            out.write(("GET / HTTP/1.1\r\nHost: training\r\n\r\n"
                    + "POST / HTTP/1.1\r\nHost: training\r\nContent-Length: 2\r\n\r\nok").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            for (int i = 0; i < 2; i++) {
                if (!TinyBackend.readHead(in).startsWith("HTTP/1.1 200")) {
                    return 1;
                }
                in.readNBytes(TinyBackend.BODY.length);
            }
            return 0;
        } catch (IOException e) {
            return 1;
        }
    }

    /**
     * A backend for the training run: the JDK's HTTP server (as {@code cutover demo}'s app uses)
     * on 127.0.0.1 port 0, answering every request 200 with a 2-byte body, until closed.
     */
    private static final class TinyBackend implements AutoCloseable {
        static final byte[] BODY = "ok".getBytes(StandardCharsets.US_ASCII);
        private final com.sun.net.httpserver.HttpServer server;

        private TinyBackend(com.sun.net.httpserver.HttpServer server) {
            this.server = server;
        }

        static TinyBackend start() throws IOException {
            com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                    new java.net.InetSocketAddress("127.0.0.1", 0), 50);
            server.createContext("/", ex -> {
                ex.getRequestBody().transferTo(java.io.OutputStream.nullOutputStream());
                ex.sendResponseHeaders(200, BODY.length);
                try (java.io.OutputStream out = ex.getResponseBody()) {
                    out.write(BODY);
                }
            });
            server.start();
            return new TinyBackend(server);
        }

        String target() {
            return "127.0.0.1:" + server.getAddress().getPort();
        }

        /** A head up to its blank line, or "" at the end of the stream. */
        static String readHead(java.io.InputStream in) throws IOException {
            StringBuilder head = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                head.append((char) c);
                if (head.length() >= 4 && head.lastIndexOf("\r\n\r\n") == head.length() - 4) {
                    return head.toString();
                }
            }
            return "";
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
