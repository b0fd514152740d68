package io.cutover.control.takeover;

import io.cutover.control.admin.Peer;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.PeerCredentials;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.codec.string.StringEncoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control socket of a running cutover: a Unix domain socket in its state directory (mode
 * 0600, and only a peer of the same user is heard), where a cutover started with
 * {@code --takeover} asks for the listening sockets (see {@link Line} for the conversation).
 * One takeover at a time.
 */
public final class ControlSocket implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlSocket.class);
    static final String NAME = "control.sock";

    private final Path path;
    private final EventLoopGroup loop;
    private final Channel server;
    private final Object inode;
    private final io.netty.channel.group.ChannelGroup conversations;
    /** Set when this cutover stops by itself: a takeover under way is refused its last step. */
    private final java.util.concurrent.atomic.AtomicBoolean stopping;

    private ControlSocket(Path path, EventLoopGroup loop, Channel server, Object inode,
                          io.netty.channel.group.ChannelGroup conversations, java.util.concurrent.atomic.AtomicBoolean stopping) {
        this.path = path;
        this.loop = loop;
        this.server = server;
        this.inode = inode;
        this.conversations = conversations;
        this.stopping = stopping;
    }

    /** Where the control socket of the cutover with this state directory is. */
    public static Path path(Path stateDir) {
        return stateDir.resolve(NAME);
    }

    /** Whether this machine has what the control socket needs (Linux, epoll). */
    public static boolean supported() {
        return Epoll.isAvailable();
    }

    /**
     * Listens on the state directory's control socket, replacing one left there (by a cutover
     * that stopped, or the one this process took over from): it is bound beside it first, then
     * moved into place, so that the path always leads to a listening cutover.
     */
    public static ControlSocket open(Path stateDir, Handover handover) throws InterruptedException {
        return open(stateDir, handover, java.time.Duration.ofMinutes(5));
    }

    /**
     * As {@link #open(Path, Handover)}, holding the apps for a takeover for at most {@code hold}
     * from the offer: past it this cutover lets go by itself (apps back in service, the listeners
     * still its own), as when the new process dies.
     */
    public static ControlSocket open(Path stateDir, Handover handover, java.time.Duration hold)
            throws InterruptedException {
        Path path = path(stateDir);
        Path beside = stateDir.resolve(NAME + "." + ProcessHandle.current().pid());
        int uid = Peer.ownUid();
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        AtomicBoolean busy = new AtomicBoolean();
        AtomicBoolean stopping = new AtomicBoolean();
        io.netty.channel.group.ChannelGroup conversations = new io.netty.channel.group.DefaultChannelGroup(
                "control", io.netty.util.concurrent.GlobalEventExecutor.INSTANCE);
        try {
            Files.createDirectories(stateDir);
            Files.deleteIfExists(beside);
            Channel server = new ServerBootstrap().group(loop).channel(EpollServerDomainSocketChannel.class)
                    .childHandler(new ChannelInitializer<EpollDomainSocketChannel>() {
                        @Override
                        protected void initChannel(EpollDomainSocketChannel ch) {
                            conversations.add(ch);
                            // a silent peer is dropped before it is offered anything; once offered, the
                            // running cutover waits for the new one's health check and warm-up, up to
                            // the hold deadline (a same-user process must not hold the apps forever)
                            ch.pipeline().addLast(new ReadTimeoutHandler(1, TimeUnit.MINUTES),
                                    new LineBasedFrameDecoder(1024), new StringDecoder(StandardCharsets.UTF_8),
                                    new StringEncoder(StandardCharsets.UTF_8),
                                    new Conversation(handover, uid, busy, stopping, hold));
                        }
                    })
                    .bind(new DomainSocketAddress(beside.toFile())).sync().channel();
            Files.setPosixFilePermissions(beside, PosixFilePermissions.fromString("rw-------"));
            Object inode = Files.readAttributes(beside, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            Files.move(beside, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            log.info("control socket at {} (cutover serve --takeover hands over to a new cutover here)", path);
            return new ControlSocket(path, loop, server, inode, conversations, stopping);
        } catch (IOException | RuntimeException e) {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IllegalStateException("cannot open the control socket " + path + ": " + e, e);
        }
    }

    /**
     * Stops listening. Handed over, the path is the new cutover's already (it moves its own socket
     * there), so it stays; otherwise it is removed, and a takeover under way is refused its last
     * step (this cutover is stopping: the new one must not serve in its place).
     */
    public void close(boolean handedOver) {
        stopping.set(true);
        server.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        if (!handedOver) {
            for (Channel ch : conversations) {
                ch.writeAndFlush(Line.REFUSED + " this cutover is stopping\n").addListener(f -> ch.close());
            }
            conversations.newCloseFuture().awaitUninterruptibly(1, TimeUnit.SECONDS);
            unlinkIfOurs();
        }
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        close(false);
    }

    private void unlinkIfOurs() {
        try {
            // another cutover's socket may be there by now (it took over): that one stays
            Object there = Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            if (there != null && there.equals(inode)) {
                Files.deleteIfExists(path);
            }
        } catch (AccessDeniedException e) {
            log.warn("could not remove the control socket {}: {}", path, e.getMessage());
        } catch (IOException e) {
            // gone already
        }
    }

    /** One connection's takeover, from the running cutover's side. */
    private static final class Conversation extends SimpleChannelInboundHandler<String> {
        private enum Phase { GREETING, OFFERED, COMPLETING, DONE }

        private final Handover handover;
        private final int uid;
        private final AtomicBoolean busy;
        private final AtomicBoolean stopping;
        private Phase phase = Phase.GREETING;
        private boolean listenersSent;
        private final java.time.Duration hold;
        private Handover.Sockets offered;
        private int peerPid;

        Conversation(Handover handover, int uid, AtomicBoolean busy, AtomicBoolean stopping, java.time.Duration hold) {
            this.handover = handover;
            this.uid = uid;
            this.busy = busy;
            this.stopping = stopping;
            this.hold = hold;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws IOException {
            PeerCredentials peer = ((EpollDomainSocketChannel) ctx.channel()).peerCredentials();
            peerPid = peer.pid();
            if (peer.uid() != uid) {
                log.warn("takeover refused: pid {} runs as uid {}, this cutover as uid {}", peer.pid(), peer.uid(), uid);
                phase = Phase.DONE;
                refuse(ctx, "pid " + peer.pid() + " runs as uid " + peer.uid() + ", not as this cutover's user (uid "
                        + uid + ")");
            }
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, String line) {
            String verb = Line.verb(line);
            switch (phase) {
                case GREETING -> greet(ctx, verb);
                case OFFERED -> afterOffer(ctx, verb, Line.rest(line));
                default -> ctx.close();
            }
        }

        private void greet(ChannelHandlerContext ctx, String verb) {
            phase = Phase.DONE;     // unless offered below
            if (!verb.equals(Line.TAKEOVER)) {
                refuse(ctx, "expected '" + Line.TAKEOVER + "', got '" + verb + "'");
                return;
            }
            if (stopping.get()) {
                refuse(ctx, "this cutover is stopping");
                return;
            }
            if (!busy.compareAndSet(false, true)) {
                refuse(ctx, "another takeover is under way");
                return;
            }
            Handover.Offer offer;
            try {
                offer = handover.offer(peerPid);
            } catch (RuntimeException e) {
                busy.set(false);
                throw e;
            }
            if (offer instanceof Handover.Refusal r) {
                busy.set(false);
                log.warn("takeover by pid {} refused: {}", peerPid, r.why());
                refuse(ctx, r.why());
                return;
            }
            offered = (Handover.Sockets) offer;
            phase = Phase.OFFERED;
            ctx.pipeline().remove(ReadTimeoutHandler.class);
            // one deadline for every step from here to its "ready": no line resets it
            ctx.executor().schedule(() -> {
                if (phase == Phase.OFFERED) {
                    abandon("it did not accept within " + hold.toSeconds() + " s (cutover.takeover.deadline); "
                            + "the apps are back in service");
                    refuse(ctx, "took longer than " + hold.toSeconds() + " s (cutover.takeover.deadline)");
                }
            }, hold.toNanos(), TimeUnit.NANOSECONDS);
            log.info("takeover: pid {} asks for the listeners; switches, deploys and reloads wait for it for up to {} s",
                    peerPid, hold.toSeconds());
            ctx.writeAndFlush(Line.OK + " " + offered.reusePort() + " " + offered.addresses() + "\n");
        }

        private void afterOffer(ChannelHandlerContext ctx, String verb, String rest) {
            switch (verb) {
                case Line.LISTENERS -> {
                    listenersSent = true;
                    ctx.write(new FileDescriptor(offered.clients()));
                    ctx.writeAndFlush(new FileDescriptor(offered.admin()));
                }
                case Line.READY -> {
                    if (stopping.get()) {
                        abandon("this cutover is stopping");
                        refuse(ctx, "this cutover is stopping");
                        return;
                    }
                    if (!listenersSent && !offered.reusePort()) {
                        // it cannot accept on these sockets without them: stopping would leave nobody
                        abandon("it said ready without taking the listening sockets");
                        refuse(ctx, "ready without the listening sockets");
                        return;
                    }
                    phase = Phase.COMPLETING;
                    log.info("takeover: pid {} accepts; this cutover stops accepting and drains", peerPid);
                    // stopping the listeners waits for their loops: not on this one
                    Thread t = new Thread(() -> {
                        handover.complete(peerPid);
                        // told before this process goes on to stop (and closes this socket)
                        ctx.writeAndFlush(Line.BYE + "\n").awaitUninterruptibly(5, TimeUnit.SECONDS);
                        ctx.close();
                        handover.handedOver(peerPid);
                    }, "takeover-complete");
                    t.start();
                }
                case Line.FAILED -> {
                    abandon(rest.isEmpty() ? "it gave no reason" : rest);
                    ctx.close();
                }
                default -> {
                    abandon("it said '" + verb + "'");
                    ctx.close();
                }
            }
        }

        private void abandon(String why) {
            phase = Phase.DONE;
            busy.set(false);
            log.warn("takeover by pid {} failed, this cutover goes on serving: {}", peerPid, why);
            handover.abandon(peerPid, why);
        }

        private static void refuse(ChannelHandlerContext ctx, String why) {
            ctx.writeAndFlush(Line.REFUSED + " " + why.replace('\n', ' ') + "\n").addListener(f -> ctx.close());
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (phase == Phase.OFFERED) {     // not COMPLETING: the new process accepts already
                abandon("it went away before it accepted");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.warn("control socket: {}", cause.toString());
            ctx.close();
        }
    }
}
