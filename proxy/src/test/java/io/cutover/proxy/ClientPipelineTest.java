package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The client-facing pipeline on an embedded channel, for orderings a socket cannot stage. */
class ClientPipelineTest {

    /** A backend whose connections can never open (an NIO channel cannot register on an embedded loop). */
    private static Router unreachable() {
        Bootstrap nowhere = new Bootstrap().channel(NioSocketChannel.class).handler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(io.netty.channel.Channel ch) {
            }
        });
        Router router = new Router();
        Target t = new Target("127.0.0.1", 9);
        router.flip(new Backend("test", t, t.resolve(), "test", TrafficObserver.NONE.forBackend("test", t, "test"), nowhere, 4,
                new DefaultChannelGroup(GlobalEventExecutor.INSTANCE)));
        return router;
    }

    /**
     * Pipelined HTTP/1.0 requests (their answers close the connection while the rest of the read
     * is still being decoded), with no target and with one that cannot be reached, in pieces of
     * many sizes: found by fuzzing.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5, 8, 13, 18, 21, 34, 41, 100, -1, -2, -3, -5, -8, -13, -18, -21, -34, -41, -100})
    void everyByteReadIsLetGoOfOnceTheConnectionIsGone(int signedPiece) {
        int piece = Math.abs(signedPiece);
        String input = "GEh / HTTP/1.0\r\n\r\nGEh // HTTP/1.0\r\n\r\nGE:w";
        EmbeddedChannel ch = new EmbeddedChannel(new ProxyInitializer(signedPiece > 0 ? unreachable() : new Router(),
                ProxySettings.defaults(), new DefaultChannelGroup(GlobalEventExecutor.INSTANCE)));
        List<ByteBuf> inputs = new ArrayList<>();
        for (int i = 0; i < input.length() && ch.isOpen(); i += piece) {
            ByteBuf in = Unpooled.copiedBuffer(input.substring(i, Math.min(input.length(), i + piece)),
                    StandardCharsets.US_ASCII);
            inputs.add(in);
            ch.writeInbound(in);
            ch.runPendingTasks();
        }
        ch.finishAndReleaseAll();
        ch.runPendingTasks();
        for (ByteBuf in : inputs) {
            assertEquals(0, in.refCnt());
        }
    }
}
