package io.cutover.control.takeover;

import io.cutover.control.boot.Listeners;
import io.cutover.control.config.Settings;
import io.cutover.control.health.HealthCheck;
import io.cutover.proxy.Listener;
import io.cutover.proxy.Transport;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The new process's side of a takeover ({@code serve --takeover}, {@code cutover upgrade}): it
 * asks the running cutover for its listeners, prepares itself on them, checks that every active
 * version is healthy and accepts; only then does the running one stop accepting. If anything fails
 * before that, the running one goes on serving. ({@link Giver} is the running one's side.)
 *
 * <p>The listeners: the new process adopts the running one's sockets (the same sockets, the same
 * accept queues: nothing queued is lost when the old one stops accepting), which puts it on
 * epoll, the only transport here that can adopt a socket. Where the running one is on io_uring
 * and bound its listeners with SO_REUSEPORT (it does when the kernel moves connections queued on
 * a closing listener: {@code net.ipv4.tcp_migrate_req = 1}), the new one binds its own io_uring
 * listeners beside them instead, and keeps io_uring.
 */
public final class Receiver {
    private static final Logger log = LoggerFactory.getLogger(Receiver.class);
    public static final String ORIGIN = "taken over";

    private Receiver() {
    }

    /** The new cutover, prepared on the listeners it was given but not accepting yet. */
    public interface Successor {
        /** Every app's active version passes its health check (each within its deadline). */
        void awaitHealthy() throws HealthCheck.UnhealthyException, InterruptedException;

        /** Sends a few requests through its own proxy, so that the first clients meet a warm one. */
        void warmUp() throws InterruptedException;

        /** Opens the listeners: it accepts from now on. */
        void open() throws InterruptedException;

        /** Stops what was prepared (the running cutover's sockets stay open there). */
        void abandon();

        /** The running cutover confirmed: takes over what only one process may hold (the admin socket file, the control socket). */
        void confirmed() throws InterruptedException;
    }

    /**
     * Takes over from the cutover running with the same state directory, with no gap.
     *
     * @param prepare       prepares the new cutover on the listeners chosen (may throw; it closes
     *                      what it opened)
     * @param stopRequested a signal asked this process to stop meanwhile
     * @throws TakeoverFailure why it did not happen (the running cutover serves on)
     */
    public static <S extends Successor> S takeOver(Settings settings, Prepare<S> prepare,
                                                   BooleanSupplier stopRequested) throws InterruptedException {
        Timeline timeline = new Timeline();
        try (TakeoverClient old = TakeoverClient.connect(settings.stateDir())) {
            TakeoverClient.Offered offer = old.ask();
            timeline.step("offer");
            S next;
            try {
                Listeners listeners = listeners(settings, offer, old);
                timeline.step("listeners");
                next = prepare.on(listeners);
                timeline.step("prepare");
                try {
                    next.awaitHealthy();
                    timeline.step("health");
                    next.warmUp();
                    timeline.step("warm-up");
                    if (stopRequested.getAsBoolean()) {
                        throw new TakeoverFailure("stopped by a signal before it accepted");
                    }
                    if (!old.connected()) {
                        throw new TakeoverFailure("the running cutover (pid " + offer.pid() + ") " + old.whyGone()
                                + " before this one accepted");
                    }
                    next.open();
                    timeline.step("open");
                } catch (RuntimeException | InterruptedException | HealthCheck.UnhealthyException e) {
                    next.abandon();
                    throw e;
                }
            } catch (HealthCheck.UnhealthyException e) {
                old.failed(e.getMessage());
                throw new TakeoverFailure("the active version is not healthy: " + e.getMessage()
                        + "; the running cutover (pid " + offer.pid() + ") goes on serving", e);
            } catch (RuntimeException e) {
                old.failed(e.getMessage());
                throw new TakeoverFailure(e.getMessage() + "; the running cutover (pid " + offer.pid()
                        + ") goes on serving", e);
            }
            // it stops accepting, drains and exits; this one serves from now on, unless it refuses
            Optional<String> problem;
            try {
                problem = old.ready();
            } catch (TakeoverFailure e) {
                next.abandon();
                throw e;
            }
            problem.ifPresent(p -> log.warn("the running cutover (pid {}) did not confirm the takeover ({}); "
                    + "it stops accepting once it reads this one's word, so this one serves", offer.pid(), p));
            timeline.step("stopped accepting there");
            next.confirmed();   // only now: had the old one refused, its admin socket file had to stay
            timeline.step("control socket");
            log.info("took over from pid {} in {}", offer.pid(), timeline.summary());
            return next;
        }
    }

    /** Prepares the new cutover on the listeners a takeover gives it. */
    @FunctionalInterface
    public interface Prepare<S extends Successor> {
        S on(Listeners listeners) throws InterruptedException;
    }

    /** The listeners a process taking over opens: bound beside the old ones, or adopted from it. */
    static Listeners listeners(Settings settings, TakeoverClient.Offered offer, TakeoverClient old)
            throws InterruptedException {
        if (offer.configured().clients()) {
            sameAddress("cutover.listen", settings.listen(), offer.clients());
        }
        if (offer.configured().admin()) {
            sameAddress("cutover.admin", settings.admin(), offer.admin());
        }
        Transport wanted = Transport.select(settings.transport());
        if (offer.reusePort() && wanted == Transport.IO_URING && Listeners.kernelMigratesQueuedConnections()) {
            return new Listeners(new Listener.Bind(offer.clients(), true), new Listener.Bind(offer.admin(), true),
                    ORIGIN + " from pid " + offer.pid() + ", bound beside its listeners (SO_REUSEPORT)", offer.configured());
        }
        if (wanted == Transport.IO_URING) {
            log.warn("taking over on epoll: io_uring cannot adopt a socket, and {}; with net.ipv4.tcp_migrate_req = 1 "
                    + "(Linux 5.14+) cutover binds beside the running one and keeps io_uring",
                    offer.reusePort() ? "this kernel does not move queued connections"
                            : "the running cutover's listeners do not share their address (SO_REUSEPORT)");
        }
        int[] fds = old.listeners();
        return new Listeners(new Listener.Adopt(fds[0]), new Listener.Adopt(fds[1]),
                ORIGIN + " from pid " + offer.pid() + ", its sockets handed over", offer.configured());
    }

    /** A takeover keeps the addresses: a config that names others needs a restart instead. */
    private static void sameAddress(String key, InetSocketAddress configured, InetSocketAddress running) {
        boolean same = configured.getPort() == 0
                || (configured.getPort() == running.getPort() && configured.getAddress().equals(running.getAddress()));
        if (!same) {
            throw new TakeoverFailure(key + " is " + configured.getAddress().getHostAddress() + ":" + configured.getPort()
                    + " in this config, but the running cutover listens on " + running.getAddress().getHostAddress()
                    + ":" + running.getPort() + ": a takeover keeps the addresses (a restart changes them)");
        }
    }

    /** The pid of the cutover answering on a state directory's control socket, or 0 if none does. */
    public static int runningPid(Path stateDir) throws InterruptedException {
        try (TakeoverClient c = TakeoverClient.connect(stateDir)) {
            return c.pid() == 0 ? -1 : c.pid();
        } catch (TakeoverFailure e) {
            return 0;
        }
    }
}
