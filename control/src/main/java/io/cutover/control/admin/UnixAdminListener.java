package io.cutover.control.admin;

import io.cutover.proxy.ListenFailure;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.PeerCredentials;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's unix socket ({@code cutover.admin-socket}): mode 0600 from its creation (bound
 * in a 0700 directory beside it, then moved into place), and a connection is served only if its
 * peer (SO_PEERCRED) is this process's user or root; it needs no token, the browser checks apply.
 */
final class UnixAdminListener {
    private static final Logger log = LoggerFactory.getLogger(UnixAdminListener.class);

    private final Path path;
    private final Channel server;
    private final Object inode;
    /** The private directory it was bound in, until it is moved to {@link #path}. */
    private Path dir;

    private UnixAdminListener(Path path, Channel server, Object inode, Path dir) {
        this.path = path;
        this.server = server;
        this.inode = inode;
        this.dir = dir;
    }

    /**
     * Listens at {@code path}, replacing a socket left there by a cutover that is gone; one that
     * answers is refused, unless {@code replacing} (a takeover: it is the cutover this one
     * replaces, whose open connections finish).
     */
    static UnixAdminListener bind(Path path, boolean replacing, EventLoopGroup group, AdminInitializer admin) {
        UnixAdminListener l = bindAside(path, replacing, group, admin);
        try {
            l.publish();
        } catch (RuntimeException e) {
            l.close();
            throw e;
        }
        return l;
    }

    /**
     * Listens on a socket in a private directory beside {@code path}, not yet at it: nobody can
     * connect until {@link #publish}. A takeover binds so, and publishes only once the running
     * cutover let it go: should the takeover fail, the running cutover's socket stays at the path.
     */
    static UnixAdminListener bindAside(Path path, boolean replacing, EventLoopGroup group, AdminInitializer admin) {
        String where = "unix:" + path;
        Path parent = path.getParent();
        Path dir = null;
        try {
            if (Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                if (!Files.readAttributes(path, BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS).isOther()) {
                    throw new ListenFailure("admin API", where, new IOException("a file that is not a socket is there"));
                }
                if (!replacing && answers(path)) {
                    throw new ListenFailure("admin API", where,
                            new IOException("a running cutover answers there (cutover.admin-socket)"));
                }
            }
            Files.createDirectories(parent);
            dir = Files.createTempDirectory(parent, ".admin-sock-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path inside = dir.resolve("s");
            Channel server = new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
                    .childOption(ChannelOption.AUTO_READ, false)   // nothing is read before the peer check
                    .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
                        @Override
                        protected void initChannel(EpollDomainSocketChannel ch) {
                            ch.pipeline().addLast(new PeerCheck(), admin);
                        }
                    })
                    .bind(new DomainSocketAddress(inside.toFile())).sync().channel();
            try {
                Files.setPosixFilePermissions(inside, PosixFilePermissions.fromString("rw-------"));
                Object inode = Files.readAttributes(inside, BasicFileAttributes.class).fileKey();
                return new UnixAdminListener(path, server, inode, dir);
            } catch (IOException | RuntimeException e) {
                server.close().syncUninterruptibly();
                throw e;
            }
        } catch (IOException e) {
            deleteAside(dir);
            throw new ListenFailure("admin API", where, e);
        } catch (InterruptedException e) {
            deleteAside(dir);
            Thread.currentThread().interrupt();
            throw new ListenFailure("admin API", where, e);
        } catch (RuntimeException e) {
            deleteAside(dir);
            throw e;
        }
    }

    /** Moves the socket to its path (atomically, over the one there): it is reachable from now on. */
    synchronized void publish() {
        if (dir == null) {
            return;
        }
        try {
            Files.move(dir.resolve("s"), path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new ListenFailure("admin API", "unix:" + path, e);
        }
        deleteAside(dir);
        dir = null;
    }

    private static void deleteAside(Path dir) {
        if (dir != null) {
            try {
                Files.deleteIfExists(dir.resolve("s"));
                Files.deleteIfExists(dir);
            } catch (IOException ignored) {
                // left behind: harmless, and private
            }
        }
    }

    /** Whether something accepts connections at this socket path (a cutover that is still running). */
    private static boolean answers(Path path) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(path));
            return true;
        } catch (IOException e) {
            return false;   // refused: nobody listens, the file is stale
        }
    }

    Path path() {
        return path;
    }

    /** Stops accepting and removes the socket file if it is still this one (not a newer cutover's). */
    synchronized void close() {
        server.close().syncUninterruptibly();
        if (dir != null) {      // never published: the path is another's
            deleteAside(dir);
            dir = null;
            return;
        }
        try {
            Object there = Files.readAttributes(path, BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
            if (there != null && there.equals(inode)) {
                Files.deleteIfExists(path);
            }
        } catch (IOException e) {
            // gone already
        }
    }

    /** Closes a connection whose peer is neither this process's user nor root before reading anything. */
    private static final class PeerCheck extends ChannelInboundHandlerAdapter {
        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            PeerCredentials peer = ((EpollDomainSocketChannel) ctx.channel()).peerCredentials();
            if (!Peer.trusted(peer.uid())) {
                log.info("admin socket: connection refused, pid {} runs as uid {} (only uid {} or root may connect)",
                        peer.pid(), peer.uid(), Peer.ownUid());
                ctx.close();
                return;
            }
            ctx.pipeline().remove(this);
            ctx.fireChannelActive();
            ctx.channel().config().setAutoRead(true);
        }
    }
}
