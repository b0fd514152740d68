package io.cutover.control.cli;

import io.cutover.control.Cutover;
import io.cutover.control.boot.Listeners;
import io.cutover.control.config.ConfigLoader;
import io.cutover.control.config.Settings;
import io.cutover.control.observe.SystemdNotify;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** Runs the proxy and the admin API until SIGTERM or SIGINT, then stops gracefully and exits 0. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the proxy and its admin API. Flags override the config file. SIGTERM stops it gracefully; "
                + "SIGHUP reads the config again (as `cutover reload` does); `serve --takeover` replaces a running "
                + "cutover with no gap (`cutover upgrade` starts one).")
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "HOCON config file (see reference.conf)")
    Path config;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "where clients connect")
    String listen;

    @Option(names = "--admin", paramLabel = "HOST:PORT", description = "the admin API (loopback by default)")
    String admin;

    @Option(names = "--target", paramLabel = "HOST:PORT", description = "backend to route to at start-up")
    String target;

    @Option(names = "--health-path", paramLabel = "PATH", description = "path probed before a switch")
    String healthPath;

    @Option(names = "--app-name", paramLabel = "NAME", description = "the app that deploys manage")
    String appName;

    @Option(names = "--app-ports", paramLabel = "P1,P2", split = ",", description = "blue and green ports")
    List<Integer> appPorts;

    @Option(names = "--runtime", paramLabel = "docker|process", description = "how the app runs")
    String runtime;

    @Option(names = "--network", paramLabel = "host|bridge|NAME", description = "docker network of the app")
    String network;

    @Option(names = "--container-port", paramLabel = "N", description = "the app's port inside its container")
    Integer containerPort;

    @Option(names = "--takeover", description = "replace the cutover running with this state directory, with no gap: "
            + "it hands over its listening sockets, and stops once this one accepts (it finishes its requests first)")
    boolean takeover;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> overrides = new LinkedHashMap<>();
        put(overrides, "cutover.listen", listen);
        put(overrides, "cutover.admin", admin);
        put(overrides, "cutover.target", target);
        put(overrides, "cutover.health.path", healthPath);
        put(overrides, "cutover.app.name", appName);
        put(overrides, "cutover.app.ports", appPorts);
        put(overrides, "cutover.app.runtime", runtime);
        put(overrides, "cutover.app.network", network);
        put(overrides, "cutover.app.container-port", containerPort);
        java.util.function.Supplier<Settings> load = () -> ConfigLoader.load(Optional.ofNullable(config), overrides);
        Settings settings = load.get();

        CountDownLatch stop = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger stops = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<Cutover> running = new java.util.concurrent.atomic.AtomicReference<>();
        sun.misc.SignalHandler stopping = s -> {
            stops.incrementAndGet();    // a second one cuts the load balancer's grace short
            stop.countDown();
        };
        Signal.handle(new Signal("TERM"), stopping);
        Signal.handle(new Signal("INT"), stopping);
        // SIGUSR1 (logrotate's postrotate): open the access log file again; from the start, since
        // its default would end the process
        Signal.handle(new Signal("USR1"), s -> {
            Cutover c = running.get();
            if (c != null) {
                c.reopenLogs();
            }
        });
        // SIGHUP: read the config again, as `cutover reload` does (the reload logs what it did); from
        // the start, since its default would end the process; one that comes while cutover starts
        // is carried out once it serves (the file may have changed after it was read)
        java.util.concurrent.atomic.AtomicBoolean reloadAsked = new java.util.concurrent.atomic.AtomicBoolean();
        Signal.handle(new Signal("HUP"), s -> {
            reloadAsked.set(true);
            reloadIfAsked(running.get(), reloadAsked);
        });
        // socket activation: systemd's listening sockets, if it passed any
        Listeners inherited = takeover ? null
                : Listeners.fromSystemd(System.getenv(), ProcessHandle.current().pid(), settings).orElse(null);
        // a stop signal while taking over: the takeover fails before it accepts, and the running cutover goes on
        Cutover.Launch launch = new Cutover.Launch(Clock.systemUTC(), Cutover::runtimeFor, load, inherited,
                () -> stops.get() > 0);
        Cutover cutover = takeover ? Cutover.takeOver(settings, launch) : Cutover.start(settings, launch);
        running.set(cutover);
        reloadIfAsked(cutover, reloadAsked);
        SystemdNotify systemd = SystemdNotify.fromEnvironment(System.getenv());
        systemd.ready("serving on " + cutover.proxyAddress());
        // taken over in turn: the new process accepts already, so no grace for the load balancer
        cutover.handedOver().thenRun(stop::countDown);
        stop.await();
        boolean handedOver = cutover.handedOver().isDone();
        if (!handedOver) {     // handed over: the new process is the service now, and says so itself
            systemd.stopping("stopping: finishing the requests under way");
        }
        Duration grace = handedOver ? Duration.ZERO : cutover.leaveLoadBalancer();     // its health check fails first, traffic still flows
        long until = System.nanoTime() + grace.toNanos();
        while (stops.get() < 2 && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        cutover.shutdown();
        systemd.close();
        return 0;
    }

    private static void put(Map<String, Object> overrides, String key, Object value) {
        if (value != null) {
            overrides.put(key, value);
        }
    }

    /** Reloads if a SIGHUP asked for it and cutover serves (either side may see the other first: one of them runs it). */
    private static void reloadIfAsked(Cutover cutover, java.util.concurrent.atomic.AtomicBoolean asked) {
        if (cutover != null && asked.getAndSet(false)) {
            cutover.reloader().run().whenComplete((o, e) -> {
                if (e != null) {
                    org.slf4j.LoggerFactory.getLogger(ServeCommand.class).error("reload on SIGHUP refused: {}",
                            (e.getCause() == null ? e : e.getCause()).getMessage());
                }
            });
        }
    }
}
