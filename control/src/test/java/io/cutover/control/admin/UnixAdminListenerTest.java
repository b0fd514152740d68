package io.cutover.control.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.proxy.Eventually;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A takeover binds its admin unix socket aside and moves it to the path only once the running
 * cutover let go: until then, and for good if the takeover fails, the path stays the running one's.
 */
@Timeout(30)
class UnixAdminListenerTest {
    @TempDir
    Path dir;
    private EventLoopGroup group;
    private Path path;

    @BeforeEach
    void loop() {
        group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        path = dir.resolve("admin.sock");
    }

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void aSocketBoundAsideIsNotAtThePathAndClosingItLeavesTheRunningOnesThere() throws Exception {
        try (ServerSocketChannel running = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            running.bind(UnixDomainSocketAddress.of(path));
            Object theirs = inode(path);

            UnixAdminListener aside = UnixAdminListener.bindAside(path, true, group, null);
            assertEquals(theirs, inode(path), "bound aside, the path is still the running cutover's");
            assertConnectsTo(running);
            aside.close();      // the takeover failed

            assertEquals(theirs, inode(path), "the running cutover's socket stays at the path");
            assertConnectsTo(running);
            assertEquals(1, entries(), "nothing left beside it: " + entries());
        }
    }

    @Test
    void aSocketBoundAsideTakesThePathWhenPublishedAndThenItsCloseRemovesIt() throws Exception {
        try (ServerSocketChannel running = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            running.bind(UnixDomainSocketAddress.of(path));
            Object theirs = inode(path);

            UnixAdminListener aside = UnixAdminListener.bindAside(path, true, group, null);
            aside.publish();
            assertNotEquals(theirs, inode(path), "published, the path is the new socket");
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(path)));
            assertEquals(1, entries(), "nothing left beside it");
            aside.close();
            assertTrue(!Files.exists(path, LinkOption.NOFOLLOW_LINKS), "a closing cutover removes its own socket");
        }
    }

    private void assertConnectsTo(ServerSocketChannel running) throws Exception {
        running.configureBlocking(false);
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            Eventually.value(Duration.ofSeconds(10), "the running cutover's socket to get the connection",
                    running::accept, accepted -> accepted != null).close();
        }
    }

    private long entries() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    private static Object inode(Path p) throws Exception {
        return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
    }
}
