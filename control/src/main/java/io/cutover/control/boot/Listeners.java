package io.cutover.control.boot;

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
 * @param origin     for messages: "bound", "handed over by pid N", "from systemd"
 * @param configured whether each socket's address is the configured one (cutover.listen,
 *                   cutover.admin), clients first; not for sockets systemd made
 */
public record Listeners(Listener clients, Listener admin, String origin, Configured configured) {

    /** Which of the two sockets have the configured addresses. */
    public record Configured(boolean clients, boolean admin) {
    }

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
                new Listener.Bind(settings.admin(), reusePort), reusePort ? "bound (SO_REUSEPORT)" : "bound",
                new Configured(true, true));
    }

    /** The first descriptor systemd passes (SD_LISTEN_FDS_START). */
    static final int FIRST_INHERITED = 3;

    /**
     * The listening sockets systemd passed this process (socket activation: {@code LISTEN_FDS}
     * descriptors from 3 on, for the process {@code LISTEN_PID}), if any. One named
     * {@code admin} (FileDescriptorName=admin) is the admin API's; the other one is the clients'.
     * Without an admin socket, the admin API binds its configured address.
     *
     * @throws StartupFailure if they are not one client socket and at most one admin socket
     */
    public static java.util.Optional<Listeners> fromSystemd(java.util.Map<String, String> env, long pid,
                                                            Settings settings) {
        String forPid = env.get("LISTEN_PID");
        String count = env.get("LISTEN_FDS");
        if (forPid == null || count == null || !forPid.trim().equals(Long.toString(pid))) {
            return java.util.Optional.empty();
        }
        int n;
        try {
            n = Integer.parseInt(count.trim());
        } catch (NumberFormatException e) {
            throw new StartupFailure("LISTEN_FDS is '" + count + "', not a number of sockets");
        }
        String[] names = env.getOrDefault("LISTEN_FDNAMES", "").split(":", -1);
        Listener clients = null;
        Listener admin = null;
        for (int i = 0; i < n; i++) {
            int fd = FIRST_INHERITED + i;
            boolean isAdmin = i < names.length && names[i].equals("admin");
            if (isAdmin && admin == null) {
                admin = new Listener.Adopt(fd);
            } else if (!isAdmin && clients == null) {
                clients = new Listener.Adopt(fd);
            } else {
                throw new StartupFailure("systemd passed " + n + " sockets (" + String.join(":", names)
                        + "): cutover takes one for clients and at most one named 'admin' (FileDescriptorName=admin)");
            }
        }
        if (clients == null) {
            throw new StartupFailure("systemd passed no socket for clients, only one named 'admin'");
        }
        return java.util.Optional.of(new Listeners(clients,
                admin != null ? admin : new Listener.Bind(settings.admin()), "from systemd",
                new Configured(false, admin == null)));
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

    /**
     * Refuses an admin socket off loopback when no admin token is configured, whichever way the
     * socket came (bound here, adopted from systemd, handed over in a takeover): its actual
     * address counts, not only the configured one (which the config check covers).
     *
     * @throws StartupFailure naming the socket and the key
     */
    public static void checkAdminReach(Listener admin, Settings settings) {
        if (!settings.adminToken().isNone()) {      // a token of its own, or the one made in the state directory
            return;
        }
        InetSocketAddress actual = admin instanceof Listener.Bind b ? b.address() : adoptedAddress((Listener.Adopt) admin);
        if (actual == null || !actual.getAddress().isLoopbackAddress()) {
            throw new StartupFailure("the admin API socket (" + admin.describe() + ") listens on "
                    + (actual == null ? "an address that is not TCP" : actual.getAddress().getHostAddress() + ":"
                    + actual.getPort()) + ", off loopback, and cutover.admin-token is \"\" (no token): remove that, or set a token (or "
                    + "CUTOVER_ADMIN_TOKEN), or give cutover an admin socket on 127.0.0.1");
        }
    }

    /** The local address of an adopted listening socket (epoll's native library reads it), or null. */
    private static InetSocketAddress adoptedAddress(Listener.Adopt adopted) {
        io.netty.channel.epoll.Epoll.ensureAvailability();
        try {
            return new io.netty.channel.unix.Socket(adopted.fd()).localAddress();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
