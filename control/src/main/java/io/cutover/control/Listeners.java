package io.cutover.control;

import io.cutover.control.config.Settings;
import io.cutover.proxy.Listener;
import io.cutover.proxy.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where cutover's two listening sockets (clients and the admin API) come from, and so which
 * transport it runs on: bound here on the configured transport, or adopted (from the cutover
 * it takes over, or from systemd), which only epoll can do.
 *
 * @param origin for messages: "bound", "handed over by pid N", "from systemd"
 */
public record Listeners(Listener clients, Listener admin, String origin) {
    private static final Path MIGRATE_REQ = Path.of("/proc/sys/net/ipv4/tcp_migrate_req");

    /**
     * The configured addresses, bound here. On io_uring, where the kernel moves connections
     * queued on a closing listener to another one of its address ({@code tcp_migrate_req = 1}),
     * they are bound with SO_REUSEPORT, so that a cutover taking over can bind beside them and
     * keep io_uring (see {@link io.cutover.control.takeover.TakeoverClient}).
     */
    public static Listeners bind(Settings settings, Transport transport) {
        boolean reusePort = transport == Transport.IO_URING && kernelMigratesQueuedConnections();
        return new Listeners(new Listener.Bind(settings.listen(), reusePort),
                new Listener.Bind(settings.admin(), reusePort), reusePort ? "bound (SO_REUSEPORT)" : "bound");
    }

    /** Whether listeners are adopted, which runs everything on epoll. */
    public boolean adopted() {
        return clients instanceof Listener.Adopt;
    }

    /** The transport to run on: epoll for adopted listeners, otherwise the configured one. */
    public Transport transport(Settings settings) {
        return adopted() ? Transport.EPOLL : Transport.select(settings.transport());
    }

    /** Whether listeners bound here share their address (SO_REUSEPORT). */
    public boolean reusePort() {
        return clients instanceof Listener.Bind b && b.reusePort();
    }

    /** {@code net.ipv4.tcp_migrate_req = 1} (Linux 5.14+); false where it cannot be read. */
    public static boolean kernelMigratesQueuedConnections() {
        try {
            return Files.readString(MIGRATE_REQ).trim().equals("1");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Fails as a plain bind does if something listens on the configured addresses already:
     * SO_REUSEPORT would otherwise let a second cutover of the same user share them silently.
     */
    public void checkFree() {
        for (Listener l : new Listener[] {clients, admin}) {
            if (l instanceof Listener.Bind b && b.reusePort() && b.address().getPort() != 0) {
                checkFree(b.address(), l == clients ? "clients" : "admin API");
            }
        }
    }

    private static void checkFree(InetSocketAddress address, String what) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(address, 1);
        } catch (IOException e) {
            throw new StartupFailure("cannot listen on " + address.getAddress().getHostAddress() + ":"
                    + address.getPort() + " (" + what + "): " + e.getMessage()
                    + " (another process listens there; to replace a running cutover, start with --takeover)", e);
        }
    }
}
