package io.cutover.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.control.admin.ApiModel.DeployRequest;
import io.cutover.control.admin.ApiModel.DeploymentView;
import io.cutover.control.admin.ApiModel.LbRequest;
import io.cutover.control.admin.ApiModel.LbView;
import io.cutover.control.admin.ApiModel.RollbackRequest;
import io.cutover.control.cli.Main.CliFailure;
import io.cutover.control.deploy.Deployment;
import io.cutover.control.deploy.runtime.Release;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cutover rollout}: one release to several cutover hosts behind a load balancer, a batch
 * at a time. Each host of a batch leaves the load balancer (its check answers 503 while it serves
 * on), and once the balancer has stopped sending it requests it deploys as {@code cutover deploy}
 * does, then joins again, and the next batch waits until the balancer sends it requests again. A
 * host that fails stops the rollout: the hosts done go back to their previous version, every host
 * joins again, and the command exits 1 naming the host and why.
 */
@Command(name = "rollout", mixinStandardHelpOptions = true,
        description = {"Deploy one release to several cutover hosts behind a load balancer, a batch at a time: "
                + "each host leaves the load balancer (its lb-health check answers 503 while it serves on), "
                + "deploys once the balancer stopped sending it requests, and joins again; the next batch starts "
                + "once the balancer sends it requests again. A host that fails stops the rollout: the hosts done "
                + "roll back, every host joins again, and it exits 1. Hosts already on the release are skipped, "
                + "so running it again after a failure goes on where it stopped.",
                "cutover rollout --hosts 10.0.1.5:8099,10.0.1.6:8099 --release v42 --command -- java -jar app.jar",
                "cutover rollout --hosts-file hosts.conf --batch 50% --pause 30s registry/shop:v42"})
final class RolloutCommand implements Callable<Integer> {
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration FOLLOW_LIMIT = Duration.ofHours(2);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    @Option(names = "--hosts", paramLabel = "HOST:PORT,...", split = ",",
            description = "the admin APIs of the cutover hosts, in the order to deploy them")
    List<String> hostList = List.of();

    @Option(names = "--hosts-file", paramLabel = "FILE",
            description = "a HOCON file: hosts = [\"10.0.1.5:8099\", {admin = \"10.0.1.6:8099\", token-file = ...}], "
                    + "and optionally token-env, token-file, app, batch, pause")
    java.nio.file.Path hostsFile;

    @Option(names = "--batch", paramLabel = "N|P%",
            description = "how many hosts at a time: a number, or a share of the hosts (rounded up) (default: 1)")
    String batch;

    @Option(names = "--pause", paramLabel = "DURATION",
            description = "how long to wait between batches, e.g. 30s (default: none)")
    String pause;

    @Option(names = "--quiet", paramLabel = "DURATION", defaultValue = "1s",
            description = "a host that left counts as out of the load balancer once it has answered a check 503 and "
                    + "ended no request for this long (bounded by its cutover.lb-health.grace) (default: ${DEFAULT-VALUE})")
    String quiet;

    @Option(names = "--rejoin-timeout", paramLabel = "DURATION", defaultValue = "60s",
            description = "how long a host that joined again may wait for the balancer's requests (default: "
                    + "${DEFAULT-VALUE})")
    String rejoinTimeout;

    @Option(names = "--admin-token", paramLabel = "TOKEN", defaultValue = "${env:CUTOVER_ADMIN_TOKEN}",
            description = "the hosts' admin token, unless the hosts file names one (default: $CUTOVER_ADMIN_TOKEN)")
    String token;

    @Option(names = "--allow-plain-http",
            description = "send the admin token to hosts that are not on this machine over plain HTTP, which anyone on "
                    + "the path can read (default: refused; reach each host through an ssh tunnel instead)")
    boolean allowPlainHttp;

    @Option(names = "--app", paramLabel = "NAME", defaultValue = "${env:CUTOVER_APP}",
            description = "the app to deploy, when the hosts serve several (default: $CUTOVER_APP, or the only one)")
    String app;

    @Mixin
    DeployOptions deploy;

    @Spec
    CommandSpec spec;

    private PrintWriter out;
    private long started;

    /** One host of the rollout, and what happened to it. */
    private static final class Host {
        final AdminClient admin;
        String before;
        String now;
        String result = "not reached";
        long tookMs;
        boolean out;        // this rollout took it out of the load balancer
        boolean deployed;   // this rollout deployed the release there
        String deployId;
        int printed;
        long leftAt;
        LbView atLeave;
        LbView atJoin;
        long lastRequests;
        long quietSince;

        Host(AdminClient admin) {
            this.admin = admin;
        }

        String name() {
            return admin.address();
        }
    }

    @Override
    public Integer call() {
        out = spec.commandLine().getOut();
        started = System.nanoTime();
        HostsFile file = hostsFile == null ? HostsFile.NONE : HostsFile.read(hostsFile);
        String appName = app != null && !app.isBlank() ? app : file.app();
        List<Host> hosts = new ArrayList<>();
        List<String> addresses = new ArrayList<>();
        for (String h : hostList) {
            if (!h.isBlank()) {
                hosts.add(new Host(new AdminClient(h.trim(), token, appName, REQUEST_TIMEOUT)));
                addresses.add(h.trim());
            }
        }
        for (HostsFile.Entry e : file.hosts()) {
            String t = e.token() != null ? e.token() : file.token() != null ? file.token() : token;
            hosts.add(new Host(new AdminClient(e.admin(), t, appName, REQUEST_TIMEOUT)));
            addresses.add(e.admin());
        }
        if (!allowPlainHttp) {
            for (String a : addresses) {
                if (!loopback(a)) {
                    throw new CliFailure(a + " is not on this machine, and the admin API speaks plain HTTP: its token "
                            + "would cross the network readable; reach it through an ssh tunnel (ssh -L 18099:127.0.0.1:8099 "
                            + "HOST, then --hosts 127.0.0.1:18099), or pass --allow-plain-http on a network you trust");
                }
            }
        }
        if (hosts.isEmpty()) {
            throw new CliFailure("name the hosts: --hosts HOST:PORT,... or --hosts-file FILE");
        }
        if (addresses.stream().distinct().count() != addresses.size()) {
            throw new CliFailure("a host is named twice: " + addresses);
        }
        int size = batchSize(batch != null ? batch : file.batch() != null ? file.batch() : "1", hosts.size());
        long pauseMs = pause != null ? DeployOptions.durationMs("--pause", pause)
                : file.pause() != null ? DeployOptions.durationMs("pause", file.pause()) : 0;
        long quietMs = DeployOptions.durationMs("--quiet", quiet);
        long rejoinMs = DeployOptions.durationMs("--rejoin-timeout", rejoinTimeout);
        DeployRequest request = deploy.request();
        String release = new Release(request.image(), request.command(), request.env(), request.release()).describe();
        if (request.image() == null && request.command() == null && request.release() == null) {
            throw new CliFailure("name the release: an image, --command -- WORD..., or --release NAME (a rollout "
                    + "skips the hosts already on it)");
        }

        preflight(hosts);
        out.printf("rollout of %s to %d host(s), %d at a time%s%n", release, hosts.size(), size,
                pauseMs > 0 ? String.format(", %.1f s apart", pauseMs / 1000.0) : "");
        List<Host> done = new ArrayList<>();
        for (int from = 0; from < hosts.size(); from += size) {
            List<Host> batchHosts = hosts.subList(from, Math.min(hosts.size(), from + size));
            List<Host> todo = new ArrayList<>();
            for (Host h : batchHosts) {
                if (release.equals(h.before)) {
                    h.result = "skipped: already on it";
                    h.now = h.before;
                    say(h, "skip", "already on " + release);
                    if (h.atLeave != null && h.atLeave.out()) {
                        join(List.of(h), rejoinMs);     // a rollout stopped before it joined again
                    }
                } else {
                    todo.add(h);
                }
            }
            if (todo.isEmpty()) {
                continue;
            }
            String failure = leave(todo, quietMs);
            if (failure == null) {
                failure = deployAll(todo, request);
            }
            for (Host h : todo) {
                if (h.deployed) {
                    done.add(h);
                }
            }
            if (failure != null) {
                return fail(hosts, done, failure, rejoinMs);
            }
            String joinFailure = join(todo, rejoinMs);
            if (joinFailure != null) {
                return fail(hosts, done, joinFailure, rejoinMs);
            }
            if (pauseMs > 0 && from + size < hosts.size()) {
                out.printf("[%7.2f s] pause %.1f s before the next batch%n", elapsed(), pauseMs / 1000.0);
                out.flush();
                sleep(pauseMs);
            }
        }
        summary(hosts);
        out.printf("rollout of %s succeeded in %.2f s%n", release, elapsed());
        out.flush();
        return 0;
    }

    /** Asks every host for its status and its load balancer check first: nothing changes unless all answer. */
    private void preflight(List<Host> hosts) {
        List<String> problems = new ArrayList<>();
        for (Host h : hosts) {
            try {
                JsonNode status = h.admin.get("/v1/status", JsonNode.class);
                if (status.has("apps")) {
                    problems.add(h.name() + ": it serves several apps; name one with --app");
                    continue;
                }
                JsonNode a = status.path("app");
                if (a.isMissingNode() || a.isNull()) {
                    problems.add(h.name() + ": its app has no deployer (cutover.target is fixed); nothing to deploy");
                    continue;
                }
                h.before = a.path("active").path("release").isTextual() ? a.path("active").path("release").asText() : null;
                h.now = h.before;
                h.atLeave = h.admin.get("/v1/lb", LbView.class);
            } catch (CliFailure e) {
                problems.add(h.name() + ": " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new CliFailure("rollout not started, nothing changed:\n  " + String.join("\n  ", problems));
        }
    }

    /** Takes the hosts out and waits until the balancer stopped sending to each; a failure, or null. */
    private String leave(List<Host> hosts, long quietMs) {
        for (Host h : hosts) {
            try {
                h.atLeave = h.admin.post("/v1/lb", new LbRequest(false), LbView.class, "leave refused");
            } catch (CliFailure e) {
                h.result = "failed: " + e.getMessage();
                return h.name() + ": " + e.getMessage();
            }
            h.out = true;
            h.leftAt = System.nanoTime();
            h.lastRequests = h.atLeave.requests();
            h.quietSince = h.leftAt;
            say(h, "leave", h.atLeave.path() + " answers 503; waiting for the load balancer to stop sending");
        }
        List<Host> waiting = new ArrayList<>(hosts);
        while (!waiting.isEmpty()) {
            sleep(POLL.toMillis());
            for (Host h : List.copyOf(waiting)) {
                LbView v;
                try {
                    v = h.admin.get("/v1/lb", LbView.class);
                } catch (CliFailure e) {
                    h.result = "failed: " + e.getMessage();
                    return h.name() + ": " + e.getMessage();
                }
                long now = System.nanoTime();
                if (v.requests() != h.lastRequests) {
                    h.lastRequests = v.requests();
                    h.quietSince = now;
                }
                long checks = v.checksFailed() - h.atLeave.checksFailed();
                long quietFor = (now - h.quietSince) / 1_000_000;
                if (checks > 0 && quietFor >= quietMs) {
                    say(h, "left", String.format("the load balancer stopped sending (%d check(s) answered 503, no "
                            + "request for %.1f s)", checks, quietFor / 1000.0));
                    waiting.remove(h);
                } else if ((now - h.leftAt) / 1_000_000 >= v.graceMs()) {
                    say(h, "left", checks == 0
                            ? "no load balancer check came within the grace; deploying anyway (the deploy fails no request)"
                            : "requests still came after the grace; deploying anyway (the deploy fails no request)");
                    waiting.remove(h);
                }
            }
        }
        return null;
    }

    /** Deploys on every host at once and follows each to its end; the first failure, or null. */
    private String deployAll(List<Host> hosts, DeployRequest request) {
        for (Host h : hosts) {
            h.tookMs = System.nanoTime();
            try {
                DeploymentView d = h.admin.post("/v1/deploy", request, DeploymentView.class, "deploy refused");
                h.deployId = d.id();
                h.printed = 0;
                say(h, "deploy", d.kind() + " " + d.id() + " accepted");
            } catch (CliFailure e) {
                h.result = "failed: " + e.getMessage();
                return h.name() + ": " + e.getMessage();
            }
        }
        return follow(hosts, "deploy");
    }

    /** Follows each host's deploy (or rollback) to its end, printing its steps; the first failure, or null. */
    private String follow(List<Host> hosts, String what) {
        List<Host> running = new ArrayList<>(hosts);
        String failure = null;
        long deadline = System.nanoTime() + FOLLOW_LIMIT.toNanos();
        while (!running.isEmpty()) {
            for (Host h : List.copyOf(running)) {
                DeploymentView d;
                try {
                    d = h.admin.get("/v1/deploys/" + h.deployId, DeploymentView.class);
                } catch (CliFailure e) {
                    h.result = what + " failed: " + e.getMessage();
                    failure = failure != null ? failure : h.name() + ": " + e.getMessage();
                    running.remove(h);
                    continue;
                }
                for (; h.printed < d.steps().size(); h.printed++) {
                    Deployment.Step s = d.steps().get(h.printed);
                    say(h, "  " + s.name(), s.detail() + (s.tookMs() > 0 ? " (" + s.tookMs() + " ms)" : ""));
                }
                if ("succeeded".equals(d.state()) || "failed".equals(d.state())) {
                    running.remove(h);
                    h.tookMs = (System.nanoTime() - h.tookMs) / 1_000_000;
                    if ("succeeded".equals(d.state())) {
                        h.now = d.release();
                        if (what.equals("deploy")) {
                            h.deployed = true;
                            h.result = "deployed";
                        } else {
                            h.result = "rolled back";
                        }
                        say(h, what + " done", String.format("%s in %.2f s", d.release(), h.tookMs / 1000.0));
                    } else {
                        h.result = what + " failed: " + d.error();
                        say(h, what + " failed", d.error());
                        failure = failure != null ? failure : h.name() + ": " + d.error();
                    }
                }
            }
            if (running.isEmpty()) {
                break;
            }
            if (System.nanoTime() > deadline) {
                for (Host h : running) {
                    h.result = what + " not finished after " + FOLLOW_LIMIT.toHours() + " h";
                }
                return running.get(0).name() + ": gave up following its " + what;
            }
            sleep(POLL.toMillis());
        }
        return failure;
    }

    /** Puts the hosts back and waits until the balancer sends each requests again; a failure, or null. */
    private String join(List<Host> hosts, long rejoinMs) {
        String failure = null;
        List<Host> waiting = new ArrayList<>();
        for (Host h : hosts) {
            try {
                h.atJoin = h.admin.post("/v1/lb", new LbRequest(true), LbView.class, "join refused");
                h.out = false;
                h.leftAt = System.nanoTime();
                say(h, "join", h.atJoin.path() + " answers 200; waiting for the load balancer to send requests");
                waiting.add(h);
            } catch (CliFailure e) {
                failure = failure != null ? failure : h.name() + ": " + e.getMessage();
                h.result = h.result + "; join failed: " + e.getMessage();
            }
        }
        while (!waiting.isEmpty()) {
            sleep(POLL.toMillis());
            for (Host h : List.copyOf(waiting)) {
                LbView v;
                try {
                    v = h.admin.get("/v1/lb", LbView.class);
                } catch (CliFailure e) {
                    failure = failure != null ? failure : h.name() + ": " + e.getMessage();
                    waiting.remove(h);
                    continue;
                }
                long checks = v.checksOk() - h.atJoin.checksOk();
                long requests = v.requests() - h.atJoin.requests();
                if (checks > 0 && requests > 0) {
                    say(h, "joined", String.format("the load balancer sends it requests again (%d check(s) answered 200)",
                            checks));
                    waiting.remove(h);
                } else if ((System.nanoTime() - h.leftAt) / 1_000_000 >= rejoinMs) {
                    waiting.remove(h);
                    if (checks > 0) {
                        say(h, "joined", "its checks pass, but no request came within --rejoin-timeout (no traffic?)");
                    } else {
                        failure = failure != null ? failure : h.name() + ": no load balancer check came within "
                                + "--rejoin-timeout after it joined again";
                        say(h, "join failed", "no load balancer check came within --rejoin-timeout");
                    }
                }
            }
        }
        return failure;
    }

    /** After a host failed: the hosts done roll back, all at once; every host out joins again; exit 1. */
    private Integer fail(List<Host> hosts, List<Host> done, String failure, long rejoinMs) {
        out.printf("[%7.2f s] rollout stopped: %s%n", elapsed(), failure);
        List<Host> rolling = new ArrayList<>();
        for (Host h : done) {
            try {
                DeploymentView d = h.admin.post("/v1/rollback", new RollbackRequest(true), DeploymentView.class,
                        "rollback refused");
                h.deployId = d.id();
                h.printed = 0;
                h.tookMs = System.nanoTime();
                say(h, "rollback", d.kind() + " " + d.id() + " accepted");
                rolling.add(h);
            } catch (CliFailure e) {
                h.result = "rollback failed: " + e.getMessage();
            }
        }
        follow(rolling, "rollback");
        join(hosts.stream().filter(h -> h.out).toList(), rejoinMs);
        summary(hosts);
        throw new CliFailure("rollout failed on " + failure + (done.isEmpty() ? ""
                : "; rolled back: " + String.join(", ", done.stream().map(Host::name).toList())));
    }

    private void summary(List<Host> hosts) {
        int width = Math.max(4, hosts.stream().mapToInt(h -> h.name().length()).max().orElse(4));
        int rel = Math.max(6, hosts.stream().mapToInt(h -> Math.max(text(h.before).length(), text(h.now).length()))
                .max().orElse(6));
        String row = "%-" + width + "s  %-" + rel + "s  %-" + rel + "s  %s%n";
        out.printf(row, "HOST", "BEFORE", "NOW", "RESULT");
        for (Host h : hosts) {
            out.printf(row, h.name(), text(h.before), text(h.now), h.result);
        }
        out.flush();
    }

    private static String text(String s) {
        return s == null ? "-" : s;
    }

    private void say(Host h, String step, String detail) {
        out.printf("[%7.2f s] %-21s %-14s %s%n", elapsed(), h.name(), step, detail);
        out.flush();
    }

    private double elapsed() {
        return (System.nanoTime() - started) / 1e9;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliFailure("interrupted: hosts taken out of the load balancer stay out until "
                    + "`cutover lb in` (or a restart); run the rollout again to go on");
        }
    }

    /** The batch size: N hosts, or P% of them rounded up; at least 1. */
    static int batchSize(String text, int hosts) {
        String t = text.trim();
        try {
            if (t.endsWith("%")) {
                int p = Integer.parseInt(t.substring(0, t.length() - 1).trim());
                if (p < 1 || p > 100) {
                    throw new NumberFormatException();
                }
                return Math.max(1, (int) Math.ceil(hosts * p / 100.0));
            }
            int n = Integer.parseInt(t);
            if (n < 1) {
                throw new NumberFormatException();
            }
            return Math.min(n, hosts);
        } catch (NumberFormatException e) {
            throw new CliFailure("--batch: '" + text + "' is neither a number of hosts (1 or more) nor a share "
                    + "like 25%");
        }
    }

    /** The hosts file: its hosts with their tokens, and the defaults it sets. */
    record HostsFile(List<Entry> hosts, String token, String app, String batch, String pause) {
        static final HostsFile NONE = new HostsFile(List.of(), null, null, null, null);

        record Entry(String admin, String token) {
        }

        static HostsFile read(java.nio.file.Path file) {
            if (!java.nio.file.Files.isRegularFile(file)) {
                throw new CliFailure("--hosts-file: no such file " + file);
            }
            try {
                com.typesafe.config.Config c = com.typesafe.config.ConfigFactory.parseFile(file.toFile(),
                        com.typesafe.config.ConfigParseOptions.defaults().setAllowMissing(false)).resolve();
                List<Entry> hosts = new ArrayList<>();
                for (com.typesafe.config.ConfigValue v : c.getList("hosts")) {
                    if (v.valueType() == com.typesafe.config.ConfigValueType.STRING) {
                        hosts.add(new Entry(((String) v.unwrapped()).trim(), null));
                    } else if (v.valueType() == com.typesafe.config.ConfigValueType.OBJECT) {
                        com.typesafe.config.Config h = ((com.typesafe.config.ConfigObject) v).toConfig();
                        hosts.add(new Entry(h.getString("admin").trim(), token(h, file)));
                    } else {
                        throw new CliFailure(file + ": each of hosts is \"HOST:PORT\" or {admin = \"HOST:PORT\", "
                                + "token-file = FILE} (or token-env = NAME)");
                    }
                }
                return new HostsFile(hosts, token(c, file), optional(c, "app"), optional(c, "batch"),
                        optional(c, "pause"));
            } catch (com.typesafe.config.ConfigException e) {
                throw new CliFailure(file + ": " + e.getMessage());
            }
        }

        private static String optional(com.typesafe.config.Config c, String key) {
            return c.hasPath(key) ? c.getValue(key).unwrapped().toString() : null;
        }

        /** token-env = NAME (an environment variable) or token-file = FILE (its first line), or null. */
        private static String token(com.typesafe.config.Config c, java.nio.file.Path file) {
            if (c.hasPath("token-env")) {
                String name = c.getString("token-env");
                String t = System.getenv(name);
                if (t == null || t.isBlank()) {
                    throw new CliFailure(file + ": token-env names $" + name + ", which is not set");
                }
                return t.trim();
            }
            if (c.hasPath("token-file")) {
                java.nio.file.Path p = file.toAbsolutePath().getParent().resolve(c.getString("token-file"));
                try {
                    return java.nio.file.Files.readString(p).trim();
                } catch (java.io.IOException e) {
                    throw new CliFailure(file + ": cannot read token-file " + p + " (" + e.getClass().getSimpleName()
                            + ")");
                }
            }
            return null;
        }
    }

    /** Whether an admin address ({@code HOST:PORT}) is this machine's loopback: 127.0.0.0/8, ::1 or localhost. */
    static boolean loopback(String address) {
        String host;
        try {
            host = io.cutover.proxy.Target.parse(address).host();
        } catch (IllegalArgumentException e) {
            return false;
        }
        if (host.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (!io.netty.util.NetUtil.isValidIpV4Address(host) && !io.netty.util.NetUtil.isValidIpV6Address(host)) {
            return false;   // a name: where it points is not known without asking
        }
        byte[] ip = io.netty.util.NetUtil.createByteArrayFromIpAddressString(host);
        try {
            return ip != null && java.net.InetAddress.getByAddress(ip).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }
}
