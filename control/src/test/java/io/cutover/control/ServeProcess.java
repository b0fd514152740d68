package io.cutover.control;

import io.cutover.proxy.Eventually;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code cutover serve} in its own JVM (the test classpath, so no packaging step is needed),
 * with the heap and flags a test asks for, paranoid leak detection and BlockHound
 * ({@link ChildMain}). It listens on port 0; the ports are read from its log (a file, so nothing
 * is lost when the process exits). Closing it fails the test if its output reports a leak or a
 * blocking call on an event loop.
 */
final class ServeProcess implements AutoCloseable {
    private static final Pattern PROXY = Pattern.compile("proxy listening on /127\\.0\\.0\\.1:(\\d+)");
    private static final Pattern ADMIN = Pattern.compile("admin API listening on /127\\.0\\.0\\.1:(\\d+)");

    private final Process process;
    private final Path logFile;

    private ServeProcess(List<String> jvmFlags, List<String> serveArgs) throws IOException {
        this(List.of(), jvmFlags, serveArgs);
    }

    private ServeProcess(List<String> launcher, List<String> jvmFlags, List<String> serveArgs) throws IOException {
        this(launcher, jvmFlags, serveArgs, java.util.Map.of());
    }

    /**
     * @param launcher what starts the JVM (it ends with exec), before its command line
     * @param env      set in its environment
     */
    private ServeProcess(List<String> launcher, List<String> jvmFlags, List<String> serveArgs,
                         java.util.Map<String, String> env) throws IOException {
        List<String> cmd = new ArrayList<>(launcher);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("-Dio.netty.leakDetection.level=paranoid", "-XX:+AllowRedefinitionToAddDeleteMethods"));
        cmd.addAll(jvmFlags);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(ChildMain.class.getName());
        cmd.addAll(serveArgs);
        this.logFile = Files.createTempFile("cutover-serve", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(logFile.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(env);
        this.process = pb.start();
    }

    static ServeProcess start(List<String> jvmFlags, String... serveArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of("serve", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"));
        args.addAll(List.of(serveArgs));
        ServeProcess p = new ServeProcess(jvmFlags, args);
        try {
            Eventually.until(Duration.ofSeconds(30), "serve to start", () -> p.port(ADMIN) >= 0 || !p.alive());
        } catch (AssertionError e) {
            p.close();
            throw new IllegalStateException("serve did not start; its log:\n" + p.log(), e);
        }
        return p;
    }

    private int port(Pattern p) {
        Matcher m = p.matcher(log());
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    int proxyPort() {
        return port(PROXY);
    }

    int adminPort() {
        return port(ADMIN);
    }

    Process process() {
        return process;
    }

    String log() {
        try {
            return Files.readString(logFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** SIGTERM, then the exit code (or -1 if it did not exit in time); the whole log is read by then. */
    int terminate(long timeoutSeconds) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            return -1;
        }
        return process.exitValue();
    }

    /**
     * Starts {@code cutover serve} as systemd's socket activation does, with a listening socket
     * for each of {@code names} (see socket-activate.py), and returns at once: the sockets listen
     * before the JVM starts ({@link #inheritedPort}).
     */
    static ServeProcess launchActivated(String names, String... serveArgs) throws IOException {
        Path launcher = Files.createTempFile("socket-activate", ".py");
        try (java.io.InputStream in = ServeProcess.class.getResourceAsStream("/socket-activate.py")) {
            Files.write(launcher, in.readAllBytes());
        }
        List<String> args = new ArrayList<>(List.of("serve"));
        args.addAll(List.of(serveArgs));
        return new ServeProcess(List.of("/usr/bin/python3", launcher.toString(), names), List.of(), args);
    }

    /** The port of the socket named {@code name} that the launcher made (waits for it, bounded). */
    int inheritedPort(String name) throws InterruptedException {
        Pattern p = Pattern.compile("(?m)^" + name + " (\\d+)$");
        Matcher m = Eventually.value(Duration.ofSeconds(30), "socket " + name, () -> p.matcher(log()),
                found -> found.find() || !alive());
        return Integer.parseInt(m.group(1));
    }

    /** Waits (bounded) until the log has {@code text}. */
    void awaitLog(String text) throws InterruptedException {
        Eventually.until(Duration.ofSeconds(30), "'" + text + "' in the log", () -> log().contains(text) || !alive());
    }

    /** True while the process runs; once it has exited, fails at once with its log (what is awaited will never come). */
    private boolean alive() {
        if (!process.isAlive()) {
            throw new AssertionError("the process exited with " + process.exitValue() + "; its log:\n" + log());
        }
        return true;
    }

    /**
     * Writes {@code dir/cutover.conf}: state in {@code dir}, routing to {@code app}, health probed
     * on /health every 20 ms for up to {@code healthDeadline}.
     */
    static Path config(Path dir, io.cutover.proxy.TestBackend app, String healthDeadline) throws IOException {
        Path file = dir.resolve("cutover.conf");
        Files.writeString(file, "cutover.state-dir = \"" + dir + "\"\ncutover.target = \"" + app.target() + "\"\n"
                + "cutover.health { path = \"/health\", interval = 20ms, deadline = " + healthDeadline + " }\n");
        return file;
    }

    /** GET / on 127.0.0.1:{@code port}, on a connection of its own. */
    static io.cutover.proxy.RawHttp.Response get(int port) throws IOException {
        try (io.cutover.proxy.RawHttp raw = new io.cutover.proxy.RawHttp(new java.net.InetSocketAddress("127.0.0.1", port))) {
            return raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read();
        }
    }

    /** Starts a cutover command line and returns at once (the caller waits for what it needs). */
    static ServeProcess launch(String... args) throws IOException {
        return new ServeProcess(List.of(), List.of(args));
    }

    /** As {@link #launch}, with {@code env} added to its environment. */
    static ServeProcess launch(java.util.Map<String, String> env, String... args) throws IOException {
        return new ServeProcess(List.of(), List.of(), List.of(args), env);
    }

    /**
     * Runs a cutover command line to its end (bounded).
     *
     * @return its exit code and its whole output
     */
    static Result run(String... args) throws Exception {
        try (ServeProcess p = new ServeProcess(List.of(), List.of(args))) {
            if (!p.process.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("cutover " + String.join(" ", args) + " did not end; its log:\n" + p.log());
            }
            return new Result(p.process.exitValue(), p.log());
        }
    }

    record Result(int exitCode, String output) {
    }

    /** Fails if the output reports a buffer leak or a blocking call on an event loop. */
    void assertClean() {
        String log = log();
        if (log.contains(ChildMain.LEAK) || log.contains(ChildMain.BLOCKING)) {
            throw new AssertionError("the cutover JVM reported a leak or a blocking call on an event loop:\n" + log);
        }
    }

    /** Stops it as an operator would (SIGTERM: its exit hooks look for leaks), killing it if it hangs. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(45, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            assertClean();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                Files.deleteIfExists(logFile);
            } catch (IOException ignored) {
                // a temp file
            }
        }
    }
}
