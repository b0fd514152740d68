package io.cutover.control.cli;

import ch.qos.logback.classic.Level;
import io.cutover.control.Cutover;
import io.cutover.control.admin.ApiModel.DeployRequest;
import io.cutover.control.admin.ApiModel.DeploymentView;
import io.cutover.control.config.ConfigLoader;
import io.cutover.control.demo.DemoApp;
import io.cutover.control.demo.DemoLoad;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cutover demo}: the real thing on loopback, in a minute. cutover starts in front of a
 * small built-in web app (run as processes, no Docker), clients keep sending requests, and six
 * deploys happen: v1, v2 under load, a broken v3 that is refused, a rollback, a canary that
 * aborts itself, a canary that is promoted. It stops everything it started, on Ctrl-C too.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "See what cutover does in a minute: deploys, a refused one, a rollback and two canaries of a "
                + "small built-in web app under load, on loopback, no Docker needed. Ends with `demo finished:` and "
                + "the requests sent and failed.")
final class DemoCommand implements Callable<Integer> {
    private static final String MARK = "cutover-demo-run";

    @Option(names = "--quick", description = "shorter phases and canary windows (for tests)")
    boolean quick;

    @Option(names = "--max-requests", paramLabel = "N", description = "request budget of the clients (default: 400000)")
    long maxRequests = 400_000;

    @Spec
    CommandSpec spec;

    private View view;
    /** The app's command line, but its version. */
    private List<String> command;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        view = new View(out, System.console() != null && !quick);
        ch.qos.logback.classic.Logger root =
                (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Level level = root.getLevel();
        root.setLevel(Level.ERROR);     // the demo shows what happens
        Path state = Files.createTempDirectory("cutover-demo");
        String run = MARK + "-" + state.getFileName();
        java.util.concurrent.atomic.AtomicReference<Cutover> started = new java.util.concurrent.atomic.AtomicReference<>();
        Thread cleanup = new Thread(() -> stopAll(started.get(), run, state), "demo-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);      // Ctrl-C
        DemoLoad load = null;
        try {
            io.cutover.control.config.Settings settings = ConfigLoader.load(Optional.empty(), config(state, run));
            Cutover cutover = Cutover.start(settings, Clock.systemUTC());
            started.set(cutover);
            int proxyPort = cutover.proxyAddress().getPort();
            view.event("cutover demo: cutover on 127.0.0.1:" + proxyPort + " in front of a small web app it runs as "
                    + "processes (loopback only, state in " + state + ")");
            AdminClient admin = new AdminClient("127.0.0.1:" + cutover.adminAddress().getPort(),
                    settings.adminToken().token().orElseGet(() -> AdminOption.tokenFile(state)), null);
            List<String> problems = new ArrayList<>();
            phase(1, "deploy v1: nothing runs yet");
            expect(deploy(admin, "v1", Map.of(), null), true, "v1", problems);
            load = new DemoLoad(URI.create("http://127.0.0.1:" + proxyPort + "/"), 4, maxRequests);
            view.load(load);
            pause(2);
            phase(2, "deploy v2 under load: no request fails, those in flight finish on v1");
            expect(deploy(admin, "v2", Map.of(), null), true, "v2", problems);
            pause(2);
            phase(3, "deploy v3, whose health check fails: refused, traffic stays on v2");
            expect(deploy(admin, "v3", Map.of("DEMO_HEALTH", "fail"), null), false, "v3", problems);
            pause(1);
            phase(4, "roll back to v1: cutover kept it, and starts it again");
            expect(follow(admin, admin.post("/v1/rollback", Map.of(), DeploymentView.class, "rollback refused")), true,
                    "the rollback", problems);
            pause(2);
            phase(5, "canary v4, which answers 500 to every fifth request: it aborts itself");
            expect(deploy(admin, "v4", Map.of("DEMO_FAIL_EVERY", "5"), List.of(25, 50, 100)), false, "v4", problems);
            pause(1);
            phase(6, "canary v5: 25%, 50%, then all of it");
            expect(deploy(admin, "v5", Map.of(), List.of(25, 50, 100)), true, "v5", problems);
            pause(2);
            load.close();
            view.load(null);
            long sent = load.sent();
            long failed = load.failed();
            String by = load.answeredBy().entrySet().stream()
                    .map(e -> e.getKey() + " " + String.format(Locale.ROOT, "%,d", e.getValue()))
                    .collect(Collectors.joining(", "));
            load.failures().forEach(f -> view.event("  failed: " + f));
            if (sent >= maxRequests) {
                view.event("  the request budget (--max-requests " + maxRequests + ") ran out before the end");
            }
            problems.forEach(p -> view.event("  unexpected: " + p));
            view.event(String.format(Locale.ROOT, "demo finished: %,d requests sent, %,d failed (answered by %s; %,d were "
                    + "the failing canary's own 500s, which aborted it)", sent, failed, by, load.appErrors()));
            return failed == 0 && problems.isEmpty() ? 0 : 1;
        } finally {
            if (load != null) {
                load.close();
            }
            view.load(null);
            view.close();
            if (Runtime.getRuntime().removeShutdownHook(cleanup)) {
                stopAll(started.get(), run, state);
            }
            root.setLevel(level);
        }
    }

    private Map<String, Object> config(Path state, String run) throws IOException {
        Map<String, Object> c = new HashMap<>();
        c.put("cutover.listen", "127.0.0.1:0");
        c.put("cutover.admin", "127.0.0.1:0");
        c.put("cutover.state-dir", state.toString());
        c.put("cutover.health.path", "/health");
        c.put("cutover.health.interval", "50ms");
        // room for the app's JVM to start on a busy machine (v3 waits it out: its health fails)
        c.put("cutover.health.deadline", "10s");
        c.put("cutover.drain.deadline", "5s");
        c.put("cutover.app.name", "demo");
        c.put("cutover.app.runtime", "process");
        c.put("cutover.app.ports", List.of(freePort(), freePort()));
        c.put("cutover.app.stop-timeout", "5s");
        c.put("cutover.app.log-lines", "3");
        command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx32m", "-XX:TieredStopAtLevel=1", "-D" + run, "-cp", System.getProperty("java.class.path"),
                DemoApp.class.getName());
        c.put("cutover.app.canary.interval", quick ? "700ms" : "2s");
        c.put("cutover.app.canary.min-requests", "20");
        // the demo judges by errors: on a busy laptop, latency differences between two fresh JVMs are noise
        c.put("cutover.app.canary.latency-floor", "2s");
        c.put("cutover.app.canary.progress-deadline", "30s");
        c.put("cutover.app.canary.on-deadline", "abort");     // a demo ends by itself
        return c;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private void phase(int n, String what) {
        view.phase(n, 6);
        view.event("");
        view.event("== " + n + "/6 " + what);
    }

    private void pause(double seconds) throws InterruptedException {
        Thread.sleep((long) ((quick ? seconds / 3 : seconds) * 1000));
    }

    /** Deploys a version (the command's last word) and follows it; whether it succeeded. */
    private boolean deploy(AdminClient admin, String version, Map<String, String> env, List<Integer> canary) {
        List<String> words = new ArrayList<>(command);
        words.add(version);
        DeploymentView accepted = admin.post("/v1/deploy",
                new DeployRequest(null, words, env, true, canary, null, version), DeploymentView.class, "deploy refused");
        return follow(admin, accepted);
    }

    private boolean follow(AdminClient admin, DeploymentView accepted) {
        try {
            return DeploymentFollower.follow(admin, accepted, view.writer()) == 0;
        } catch (Main.CliFailure e) {
            view.event("  -> " + e.getMessage());
            return false;
        }
    }

    private static void expect(boolean succeeded, boolean wanted, String what, List<String> problems) {
        if (succeeded != wanted) {
            problems.add(what + (succeeded ? " succeeded" : " failed") + ", which it should not have");
        }
    }

    /** Stops cutover, then the demo's app processes (only those of this run). */
    private static void stopAll(Cutover cutover, String run, Path state) {
        if (cutover != null) {
            cutover.shutdown();
        }
        ProcessHandle.current().descendants()
                .filter(p -> p.info().commandLine().map(l -> l.contains(run)).orElse(false))
                .forEach(p -> {
                    p.destroy();
                    p.onExit().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).exceptionally(e -> {
                        p.destroyForcibly();
                        return p;
                    }).join();
                });
        try (var files = Files.walk(state)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException e) {
            // a temp directory: the system cleans it eventually
        }
    }

    /**
     * What the demo shows: events, one per line; on a terminal also a live line (requests per
     * second by version, failures, a progress bar) redrawn under them.
     */
    static final class View {
        private final PrintWriter out;
        private final boolean live;
        private volatile DemoLoad load;
        private volatile int phase;
        private volatile int phases = 6;
        private long lastSent;
        private Map<String, Long> lastBy = Map.of();
        private String liveLine = "";
        private final Thread ticker;

        View(PrintWriter out, boolean live) {
            this.out = out;
            this.live = live;
            this.ticker = new Thread(this::tick, "demo-view");
            ticker.setDaemon(true);
            if (live) {
                ticker.start();
            }
        }

        synchronized void load(DemoLoad l) {   // lastSent and lastBy: written here and by the ticker, under this lock
            load = l;
            if (l != null) {
                lastSent = l.sent();
                lastBy = l.answeredBy();
            } else if (live && !liveLine.isEmpty()) {
                liveLine = "";      // the load is over: no live line under what follows
                out.print("\r\033[2K");
                out.flush();
            }
        }

        void phase(int n, int of) {
            phase = n;
            phases = of;
        }

        synchronized void event(String line) {
            if (live && !liveLine.isEmpty()) {
                out.print("\r\033[2K");
            }
            out.println(line);
            if (live) {
                out.print(liveLine);
            }
            out.flush();
        }

        /** Lines written here become events (a deploy's steps). */
        PrintWriter writer() {
            return new PrintWriter(new Writer() {
                private final StringBuilder line = new StringBuilder();

                @Override
                public void write(char[] buf, int off, int len) {
                    for (int i = off; i < off + len; i++) {
                        if (buf[i] == '\n') {
                            event(line.toString());
                            line.setLength(0);
                        } else {
                            line.append(buf[i]);
                        }
                    }
                }

                @Override
                public void flush() {
                }

                @Override
                public void close() {
                }
            }, true);
        }

        void close() {
            ticker.interrupt();
        }

        private void tick() {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
                DemoLoad l;
                synchronized (this) {
                    l = load;
                }
                if (l == null) {
                    continue;
                }
                long sent = l.sent();
                Map<String, Long> by = l.answeredBy();
                long total = 0;
                long sentBefore;
                Map<String, Long> byBefore;
                synchronized (this) {
                    sentBefore = lastSent;
                    byBefore = lastBy;
                }
                StringBuilder shares = new StringBuilder();
                Map<String, Long> delta = new java.util.TreeMap<>();
                for (Map.Entry<String, Long> e : by.entrySet()) {
                    long d = e.getValue() - byBefore.getOrDefault(e.getKey(), 0L);
                    if (d > 0) {
                        delta.put(e.getKey(), d);
                        total += d;
                    }
                }
                for (Map.Entry<String, Long> e : delta.entrySet()) {
                    shares.append(String.format(Locale.ROOT, " %s %d%%", e.getKey(), Math.round(100.0 * e.getValue() / total)));
                }
                int done = Math.max(0, phase - 1) * 20 / phases;
                String bar = "#".repeat(done) + "-".repeat(20 - done);
                String line = String.format(Locale.ROOT, "  %,7d req/s  answered by%s  failed %d  [%s] %d/%d",
                        (sent - sentBefore) * 2, shares, l.failed(), bar, phase, phases);
                synchronized (this) {
                    if (load != l) {
                        continue;   // stopped meanwhile
                    }
                    lastSent = sent;
                    lastBy = by;
                    liveLine = line;
                    out.print("\r\033[2K" + line);
                    out.flush();
                }
            }
        }
    }
}
