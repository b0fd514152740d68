package io.cutover.control.takeover;

import io.cutover.control.admin.AdminServer;
import io.cutover.control.app.App;
import io.cutover.control.app.Apps;
import io.cutover.control.boot.Listeners;
import io.cutover.control.switching.RoutingLock;
import io.cutover.proxy.ProxyServer;
import io.cutover.proxy.Transport;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running cutover's side of a takeover: it holds its apps still (no switch or deploy while
 * the new process starts), offers its listeners, and once the new one accepts, stops accepting
 * and lets the requests under way finish here.
 */
public final class Giver implements Handover {
    private static final Logger log = LoggerFactory.getLogger(Giver.class);

    private final Parts parts;
    private final List<App> held = new ArrayList<>();

    /**
     * What the running cutover gives from.
     *
     * @param handedOver completed with the new process's pid once this one stopped accepting
     */
    public record Parts(Transport transport, Apps apps, ProxyServer proxy, AdminServer admin, Listeners listeners,
                        Upgrade upgrade, CompletableFuture<Integer> handedOver) {
    }

    public Giver(Parts parts) {
        this.parts = parts;
    }

    @Override
    public synchronized Offer offer(int pid) {
        if (parts.transport() == Transport.NIO) {
            return refuse(pid, "this cutover runs on nio, whose listeners cannot be handed over");
        }
        try {
            for (App a : parts.apps().all()) {
                String refusal = a.takeOutOfService(RoutingLock.Holder.TAKEOVER);
                if (refusal != null) {
                    backInService();
                    return refuse(pid, refusal);
                }
                held.add(a);
            }
            InetSocketAddress clients = parts.proxy().localAddress();
            InetSocketAddress admin = parts.admin().localAddress();
            Listeners.Configured configured = parts.listeners().configured();
            return new Sockets(parts.proxy().listenerDescriptor(), parts.admin().listenerDescriptor(),
                    parts.listeners().reusePort(), hostPort(clients) + " " + hostPort(admin) + " "
                    + configured.clients() + " " + configured.admin());
        } catch (RuntimeException e) {
            backInService();
            return refuse(pid, "cannot offer the listeners: " + e.getMessage());
        }
    }

    @Override
    public synchronized void abandon(int pid, String why) {
        backInService();
        parts.upgrade().failed(pid, why);
    }

    private Refusal refuse(int pid, String why) {
        parts.upgrade().failed(pid, "refused: " + why);
        return new Refusal(why);
    }

    @Override
    public void complete(int newPid) {
        parts.proxy().stopAccepting();
        parts.admin().stopAccepting();
        log.info("handed over to pid {}: no longer accepting; the requests under way finish here", newPid);
    }

    @Override
    public void handedOver(int newPid) {
        parts.handedOver().complete(newPid);
    }

    private void backInService() {
        held.forEach(App::backInService);
        held.clear();
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }
}
