package io.cutover.control.hook;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * Runs an operator's hook: a shell string, with {@code /bin/sh -c}, in the state directory, with
 * cutover's environment (less its admin token) and the deploy's variables. What the deploy names
 * (its release) reaches the command only as variables, never in the command's text. The calling
 * thread waits for it (a deploy's thread: never an event loop); its output, stdout and stderr
 * together, is read on a thread of {@code output} and handed over line by line, at most
 * {@link #MAX_LINES} lines of at most {@link #MAX_LINE} characters. Past its timeout the hook and
 * every process it started (that is still its descendant) are killed.
 */
public final class HookRunner {
    public static final int MAX_LINES = 200;
    public static final int MAX_LINE = 500;
    /** How long the output may go on after the hook exited or was killed (a child that left the tree holds the pipe). */
    private static final Duration OUTPUT_GRACE = Duration.ofSeconds(2);
    /** Not passed to hooks: the admin API's token. */
    private static final List<String> WITHHELD = List.of("CUTOVER_ADMIN_TOKEN");

    /** How a hook ended: passed (exit 0), or why not ("exit 3", "killed after its 5 s timeout"). */
    public record Outcome(boolean passed, String how) {
    }

    private final Executor output;
    private final Path directory;

    /**
     * @param output    where hooks' output is read (threads that may block)
     * @param directory where hooks run (the state directory: never cutover's working directory)
     */
    public HookRunner(Executor output, Path directory) {
        this.output = output;
        this.directory = directory;
    }

    /**
     * Runs {@code command} until it exits or {@code timeout} passes.
     *
     * @param env   added to cutover's environment
     * @param lines told each line of output (from another thread), then, if lines were left out, how many
     * @throws InterruptedException if the calling thread is interrupted (the hook is killed first)
     */
    public Outcome run(String command, Map<String, String> env, Duration timeout, Consumer<String> lines)
            throws InterruptedException {
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", "-c", command)
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        WITHHELD.forEach(builder.environment()::remove);
        env.forEach((k, v) -> builder.environment().put(k, v.replace('\0', '?')));     // a NUL would be refused
        Process p;
        try {
            p = builder.start();
        } catch (IOException e) {
            return new Outcome(false, "could not start /bin/sh: " + e.getMessage());
        }
        CompletableFuture<Void> read = CompletableFuture.runAsync(() -> pump(p.getInputStream(), lines), output);
        boolean exited;
        try {
            exited = p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            killTree(p);
            try {
                p.getInputStream().close();      // the reading thread is not left on a pipe a stray child holds
            } catch (IOException ignored) {
                // let go of it either way
            }
            throw e;
        }
        if (!exited) {
            killTree(p);
            p.waitFor(OUTPUT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        }
        awaitOutput(p, read);
        if (!exited) {
            return new Outcome(false, "killed after its " + describe(timeout) + " timeout (cutover.app.hooks.timeout)");
        }
        return p.exitValue() == 0 ? new Outcome(true, "exit 0") : new Outcome(false, "exit " + p.exitValue());
    }

    /** Waits a little for the output to end; a process that left the tree may hold it open: then it is let go. */
    private static void awaitOutput(Process p, CompletableFuture<Void> read) throws InterruptedException {
        try {
            read.get(OUTPUT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            try {
                p.getInputStream().close();
            } catch (IOException ignored) {
                // let go of it either way
            }
        } catch (ExecutionException e) {
            // a consumer that threw: the outcome is the exit status's
        }
    }

    /** The hook and its descendants, killed (descendants seen first, so none is orphaned unseen). */
    private static void killTree(Process p) {
        List<ProcessHandle> descendants = p.descendants().toList();
        p.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
    }

    /** Reads lines, each cut at {@link #MAX_LINE} characters, telling at most {@link #MAX_LINES}; then how many more. */
    static void pump(InputStream in, Consumer<String> lines) {
        int told = 0;
        long more = 0;
        try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            StringBuilder line = new StringBuilder();
            boolean cut = false;
            boolean any = false;
            char[] buf = new char[4096];
            int n;
            while ((n = r.read(buf)) >= 0) {
                for (int i = 0; i < n; i++) {
                    char ch = buf[i];
                    if (ch == '\n') {
                        if (told < MAX_LINES) {
                            lines.accept(finish(line, cut));
                            told++;
                        } else {
                            more++;
                        }
                        line.setLength(0);
                        cut = false;
                        any = false;
                    } else {
                        any = true;
                        if (line.length() < MAX_LINE) {
                            if (ch != '\r') {
                                line.append(ch < ' ' && ch != '\t' || ch == 0x7f ? '?' : ch);     // no terminal escapes
                            }
                        } else {
                            cut = true;
                        }
                    }
                }
            }
            if (any) {
                if (told < MAX_LINES) {
                    lines.accept(finish(line, cut));
                } else {
                    more++;
                }
            }
        } catch (IOException e) {
            // the pipe was closed (the hook was let go of): what was read is told
        }
        if (more > 0) {
            lines.accept("(" + more + " more lines not shown)");
        }
    }

    private static String finish(StringBuilder line, boolean cut) {
        return cut ? line + " [cut at " + MAX_LINE + " characters]" : line.toString();
    }

    static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
