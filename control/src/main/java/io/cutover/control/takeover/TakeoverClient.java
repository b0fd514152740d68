package io.cutover.control.takeover;

import io.cutover.control.boot.Listeners;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.string.StringDecoder;
import io.netty.handler.codec.string.StringEncoder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The new cutover's side of a takeover (see {@link Line}): it blocks the calling thread, each
 * step waiting at most a bounded time for the running cutover's answer.
 */
public final class TakeoverClient implements AutoCloseable {
    private static final Object CLOSED = new Object();
    private static final Duration ANSWER = Duration.ofSeconds(30);

    /**
     * What the running cutover offers: where it listens, whether those are its configured
     * addresses, and whether a new process may bind beside it.
     */
    public record Offered(int pid, boolean reusePort, InetSocketAddress clients, InetSocketAddress admin,
                          Listeners.Configured configured) {
    }

    private final Path path;
    private final EventLoopGroup loop;
    private final EpollDomainSocketChannel channel;
    private final BlockingQueue<Object> received;
    private final int peerPid;

    private TakeoverClient(Path path, EventLoopGroup loop, EpollDomainSocketChannel channel,
                           BlockingQueue<Object> received, int peerPid) {
        this.path = path;
        this.loop = loop;
        this.channel = channel;
        this.received = received;
        this.peerPid = peerPid;
    }

    /** Connects to the control socket of the cutover running with this state directory. */
    public static TakeoverClient connect(Path stateDir) throws InterruptedException {
        Path path = ControlSocket.path(stateDir);
        if (!Files.exists(path)) {
            throw new TakeoverFailure("no cutover runs with state directory " + stateDir + " (no control socket "
                    + path + "); start without --takeover");
        }
        EventLoopGroup loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        BlockingQueue<Object> received = new LinkedBlockingQueue<>();
        ChannelFuture connected = new Bootstrap().group(loop).channel(EpollDomainSocketChannel.class)
                .handler(new ChannelInitializer<EpollDomainSocketChannel>() {
                    @Override
                    protected void initChannel(EpollDomainSocketChannel ch) {
                        ch.pipeline().addLast(new LineBasedFrameDecoder(4096), new StringDecoder(StandardCharsets.UTF_8),
                                new StringEncoder(StandardCharsets.UTF_8), new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                        received.add(msg);
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        received.add(CLOSED);
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        ctx.close();
                                    }
                                });
                    }
                })
                .connect(new DomainSocketAddress(path.toFile())).await();
        if (!connected.isSuccess()) {
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            String why = connected.cause().getMessage();
            if (why != null && why.contains("Connection refused")) {
                why = "nothing listens there: the cutover that made it has stopped; start without --takeover";
            }
            throw new TakeoverFailure("cannot reach the running cutover at " + path + ": " + why, connected.cause());
        }
        EpollDomainSocketChannel ch = (EpollDomainSocketChannel) connected.channel();
        int pid;
        try {
            pid = ch.peerCredentials().pid();
        } catch (IOException e) {
            pid = 0;
        }
        return new TakeoverClient(path, loop, ch, received, pid);
    }

    /** The running cutover's pid (from the socket's peer credentials). */
    public int pid() {
        return peerPid;
    }

    /** Asks for a takeover: the running cutover holds its apps still and says where it listens. */
    public Offered ask() throws InterruptedException {
        channel.writeAndFlush(Line.TAKEOVER + " " + ProcessHandle.current().pid() + "\n");
        String answer = line("its answer to '" + Line.TAKEOVER + "'");
        if (Line.verb(answer).equals(Line.REFUSED)) {
            throw new TakeoverFailure("the running cutover (pid " + peerPid + ") refused: " + Line.rest(answer));
        }
        String[] words = answer.split(" ");
        if (!words[0].equals(Line.OK) || words.length != 6) {
            throw new TakeoverFailure(path + " is not a cutover's control socket (it said '" + answer + "')");
        }
        return new Offered(peerPid, Boolean.parseBoolean(words[1]), address(words[2]), address(words[3]),
                new Listeners.Configured(Boolean.parseBoolean(words[4]),
                        Boolean.parseBoolean(words[5])));
    }

    /**
     * Receives the listening sockets, as descriptors of this process: the client listener's, then
     * the admin API's.
     */
    public int[] listeners() throws InterruptedException {
        channel.eventLoop().submit(() -> channel.config().setReadMode(DomainSocketReadMode.FILE_DESCRIPTORS))
                .syncUninterruptibly();
        channel.writeAndFlush(Line.LISTENERS + "\n");
        int[] fds = new int[2];
        int received = 0;
        try {
            for (; received < fds.length; received++) {
                Object got = next("listening socket " + (received + 1) + " of 2");
                if (!(got instanceof FileDescriptor fd)) {
                    throw new TakeoverFailure("expected a listening socket from the running cutover, got " + got);
                }
                fds[received] = fd.intValue();
            }
        } catch (RuntimeException | InterruptedException e) {
            for (int i = 0; i < received; i++) {      // this process's copies; the running one keeps its own
                try {
                    new FileDescriptor(fds[i]).close();
                } catch (IOException ignored) {
                    // closing
                }
            }
            throw e;
        }
        channel.eventLoop().submit(() -> channel.config().setReadMode(DomainSocketReadMode.BYTES)).syncUninterruptibly();
        return fds;
    }

    /**
     * This process accepts now: the running cutover stops accepting (and drains, and exits).
     * A refusal (it is stopping) means this process must not serve either. Otherwise it serves
     * whatever the answer: an answer that does not come (the old one gone) is logged.
     *
     * @return the problem with the answer, if any
     * @throws TakeoverFailure if the running cutover refused
     */
    public java.util.Optional<String> ready() throws InterruptedException {
        if (!channel.isActive()) {
            throw new TakeoverFailure("the running cutover (pid " + peerPid + ") closed the control socket before "
                    + "this one accepted");
        }
        channel.writeAndFlush(Line.READY + "\n");
        String answer;
        try {
            answer = line("its answer to '" + Line.READY + "'");
        } catch (TakeoverFailure e) {
            return java.util.Optional.of(e.getMessage());
        }
        if (Line.verb(answer).equals(Line.REFUSED)) {
            throw new TakeoverFailure("the running cutover (pid " + peerPid + ") refused: " + Line.rest(answer));
        }
        return answer.equals(Line.BYE) ? java.util.Optional.empty()
                : java.util.Optional.of("it answered '" + answer + "' to '" + Line.READY + "'");
    }

    /** Whether the running cutover is still in the conversation (it has not given up on this one). */
    public boolean connected() {
        return channel.isActive();
    }

    /** What the running cutover said when it left the conversation, if it said anything. */
    public String whyGone() {
        for (Object got : received) {
            if (got instanceof String s && Line.verb(s).equals(Line.REFUSED)) {
                return "refused: " + Line.rest(s);
            }
        }
        return "gave up on this takeover";
    }

    /** This process gives up: the running cutover goes on as it was. */
    public void failed(String why) {
        if (channel.isActive()) {
            channel.writeAndFlush(Line.FAILED + " " + why.replace('\n', ' ') + "\n").awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    private String line(String what) throws InterruptedException {
        Object got = next(what);
        if (!(got instanceof String s)) {
            throw new TakeoverFailure("expected " + what + ", got " + got);
        }
        return s;
    }

    private Object next(String what) throws InterruptedException {
        Object got = received.poll(ANSWER.toSeconds(), TimeUnit.SECONDS);
        if (got == null) {
            throw new TakeoverFailure("the running cutover (pid " + peerPid + ") sent no " + what + " within "
                    + ANSWER.toSeconds() + " s");
        }
        if (got == CLOSED) {
            throw new TakeoverFailure("the running cutover (pid " + peerPid + ") closed the control socket before "
                    + what);
        }
        return got;
    }

    private static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
