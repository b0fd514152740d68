package io.cutover.control.takeover;

import io.cutover.control.Cutover;
import io.cutover.control.app.App;
import io.cutover.control.boot.Listeners;

import io.cutover.control.config.Settings;
import io.cutover.control.switching.RoutingLock;
import io.cutover.proxy.Listener;
import io.cutover.proxy.Transport;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two sides of a takeover, as far as a {@link Cutover} is concerned: which listeners the new
 * process takes (and so which transport it runs on), and what the running one gives.
 *
 * <p>The listeners: the new process adopts the running one's sockets (the same sockets, the same
 * accept queues: nothing queued is lost when the old one stops accepting), which puts it on
 * epoll, the only transport here that can adopt a socket. Where the running one is on io_uring
 * and bound its listeners with SO_REUSEPORT (it does when the kernel moves connections queued on
 * a closing listener: {@code net.ipv4.tcp_migrate_req = 1}), the new one binds its own io_uring
 * listeners beside them instead, and keeps io_uring.
 */
public final class Takeover {
    private static final Logger log = LoggerFactory.getLogger(Takeover.class);
    public static final String ORIGIN = "taken over";

    private Takeover() {
    }

    /** The listeners a process taking over opens: bound beside the old ones, or adopted from it. */
    public static Listeners listeners(Settings settings, TakeoverClient.Offered offer, TakeoverClient old)
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

    /** What a running cutover gives to the one taking it over. */
    public static final class Giving implements Handover {
        private final Cutover cutover;
        private final List<App> held = new ArrayList<>();

        public Giving(Cutover cutover) {
            this.cutover = cutover;
        }

        @Override
        public synchronized Offer offer(int pid) {
            if (cutover.transport() == Transport.NIO) {
                return refuse(pid, "this cutover runs on nio, whose listeners cannot be handed over");
            }
            try {
                for (App a : cutover.apps().all()) {
                    String refusal = a.takeOutOfService(RoutingLock.Holder.TAKEOVER);
                    if (refusal != null) {
                        backInService();
                        return refuse(pid, refusal);
                    }
                    held.add(a);
                }
                InetSocketAddress clients = cutover.proxyAddress();
                InetSocketAddress admin = cutover.adminAddress();
                Listeners.Configured configured = cutover.listeners().configured();
                return new Sockets(cutover.proxy().listenerDescriptor(), cutover.admin().listenerDescriptor(),
                        cutover.listeners().reusePort(), hostPort(clients) + " " + hostPort(admin) + " "
                        + configured.clients() + " " + configured.admin());
            } catch (RuntimeException e) {
                backInService();
                return refuse(pid, "cannot offer the listeners: " + e.getMessage());
            }
        }

        @Override
        public synchronized void abandon(int pid, String why) {
            backInService();
            cutover.upgrade().failed(pid, why);
        }

        private Refusal refuse(int pid, String why) {
            cutover.upgrade().failed(pid, "refused: " + why);
            return new Refusal(why);
        }

        @Override
        public void complete(int newPid) {
            cutover.proxy().stopAccepting();
            cutover.admin().stopAccepting();
            log.info("handed over to pid {}: no longer accepting; the requests under way finish here", newPid);
        }

        @Override
        public void handedOver(int newPid) {
            cutover.handedOver().complete(newPid);
        }

        private void backInService() {
            held.forEach(App::backInService);
            held.clear();
        }

        private static String hostPort(InetSocketAddress a) {
            return a.getAddress().getHostAddress() + ":" + a.getPort();
        }
    }
}
