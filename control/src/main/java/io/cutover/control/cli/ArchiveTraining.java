package io.cutover.control.cli;

import io.cutover.control.Cutover;
import io.cutover.control.config.ConfigLoader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
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
 * postinst does): a cutover started on loopback
 * ports 0 with a temporary state directory, as {@code serve} starts one, then {@code status},
 * {@code history} and the help against it, in this JVM; then it stops and removes what it made.
 * The classes these load are those the archive holds, so that {@code cutover status} and
 * {@code cutover serve} start from it. Not a command: it binds nothing but loopback port 0 and
 * writes nothing but its temporary directory (and what the JVM is told to write).
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
        try (Cutover cutover = Cutover.start(ConfigLoader.load(Optional.empty(), Map.of(
                "cutover.listen", "127.0.0.1:0", "cutover.admin", "127.0.0.1:0",
                "cutover.state-dir", state.toString(), "cutover.target", "127.0.0.1:9")), Clock.systemUTC())) {
            String admin = "127.0.0.1:" + cutover.adminAddress().getPort();
            for (String[] command : new String[][] {
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
