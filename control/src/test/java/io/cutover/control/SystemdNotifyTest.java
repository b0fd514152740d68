package io.cutover.control;


import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.proxy.TestBackend;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainDatagramPacket;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a {@code Type=notify} service tells systemd, read from a NOTIFY_SOCKET made here: ready
 * once it accepts, and after a takeover the new process as the main one (the old one, handing
 * over, says nothing of stopping); stopping on SIGTERM.
 */
class SystemdNotifyTest {
    @TempDir
    Path dir;

    private final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private EventLoopGroup loop;
    private Channel socket;

    @BeforeEach
    void listen() throws Exception {
        loop = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        socket = new Bootstrap().group(loop).channel(EpollDomainDatagramChannel.class)
                .handler(new SimpleChannelInboundHandler<DomainDatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DomainDatagramPacket p) {
                        messages.add(p.content().toString(StandardCharsets.UTF_8));
                    }
                })
                .bind(new DomainSocketAddress(dir.resolve("notify.sock").toFile())).sync().channel();
    }

    @AfterEach
    void close() {
        socket.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private String next(String what) throws InterruptedException {
        return next(() -> what);
    }

    private String next(java.util.function.Supplier<String> what) throws InterruptedException {
        String m = messages.poll(30, TimeUnit.SECONDS);
        assertNotNull(m, () -> "no notification: " + what.get());
        return m;
    }

    @Test
    void readyOnceServingThenTheNewProcessAfterATakeoverThenStopping() throws Exception {
        Map<String, String> env = Map.of("NOTIFY_SOCKET", dir.resolve("notify.sock").toString());
        try (TestBackend app = TestBackend.start("app")) {
            Path file = dir.resolve("cutover.conf");
            Files.writeString(file, "cutover.state-dir = \"" + dir + "\"\ncutover.target = \"" + app.target() + "\"\n"
                    + "cutover.listen = \"127.0.0.1:0\"\ncutover.admin = \"127.0.0.1:0\"\n");
            try (ServeProcess old = ServeProcess.launch(env, "serve", "--config", file.toString())) {
                String ready = next("ready");
                assertTrue(ready.contains("READY=1") && ready.contains("MAINPID=" + old.process().pid()), ready);
                try (ServeProcess fresh = ServeProcess.launch(env, "serve", "--config", file.toString(), "--takeover")) {
                    String taken = next(() -> "the new process ready; its log: " + fresh.log());
                    assertTrue(taken.contains("READY=1") && taken.contains("MAINPID=" + fresh.process().pid()), taken);
                    assertTrue(old.process().waitFor(30, TimeUnit.SECONDS), old.log());
                    assertEquals(0, old.process().exitValue());
                    assertEquals(null, messages.poll(200, TimeUnit.MILLISECONDS), "the old process said nothing more");

                    assertEquals(0, fresh.terminate(30), fresh.log());
                    assertTrue(next("stopping").contains("STOPPING=1"));
                }
            }
        }
    }
}
