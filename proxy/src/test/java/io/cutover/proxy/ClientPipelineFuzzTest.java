package io.cutover.proxy;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Arbitrary bytes, in arbitrary pieces, through the real client-facing pipeline
 * ({@link ProxyInitializer} on an embedded channel): no exception may escape it, no buffer may
 * leak (the detector runs at paranoid, see {@link LeakDetection}), no input may hang it, and no
 * request may stay counted in flight once its connection is gone. Half the
 * inputs meet no target (503s); the other half a backend that cannot be reached (the exchange
 * runs until its connect fails: 502s). Bounded: 30 s of fuzzing per run.
 */
class ClientPipelineFuzzTest {
    private static final ChannelGroup CLIENTS = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private static final ProxySettings SETTINGS = ProxySettings.defaults()
            .withRequestLimits(Duration.ofSeconds(10), 64 * 1024)
            .withTrustedProxies(TrustedProxies.parse(List.of("10.0.0.0/8")));
    private static final Router NO_TARGET = new Router();
    private static final Router UNREACHABLE = new Router();

    static {
        // an NIO channel cannot register on an embedded loop: every connect fails at once
        Bootstrap nowhere = new Bootstrap().channel(NioSocketChannel.class).handler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(io.netty.channel.Channel ch) {
            }
        });
        UNREACHABLE.flip(new Backend("fuzz", new Target("127.0.0.1", 9), new Target("127.0.0.1", 9).resolve(), "fuzz", TrafficObserver.NONE.forBackend("fuzz", null, "fuzz"), nowhere, 4,
                new DefaultChannelGroup(GlobalEventExecutor.INSTANCE)));
    }

    @FuzzTest(maxDuration = "30s")
    void arbitraryBytesNeverEscapeLeakOrHang(FuzzedDataProvider data) {
        Router router = data.consumeBoolean() ? NO_TARGET : UNREACHABLE;
        EmbeddedChannel ch = new EmbeddedChannel(new ProxyInitializer(router, SETTINGS, CLIENTS));
        List<ByteBuf> inputs = new ArrayList<>();
        try {
            while (data.remainingBytes() > 0 && ch.isOpen()) {
                int size = data.consumeInt(1, 700);
                ByteBuf in = Unpooled.wrappedBuffer(data.consumeBytes(size));
                inputs.add(in);
                ch.writeInbound(in);
                ch.runPendingTasks();
                ch.checkException();
            }
            ch.runPendingTasks();
            ch.checkException();
        } finally {
            ch.finishAndReleaseAll();
            ch.runPendingTasks();
        }
        // every byte read is let go of once the connection is gone: checked here, input by input,
        // rather than left to the leak detector's garbage-collection-timed reports
        for (ByteBuf in : inputs) {
            if (in.capacity() > 0 && in.refCnt() != 0) {   // (no bytes: the shared empty buffer, never released)
                throw new AssertionError("an input buffer is still referenced (" + in.refCnt() + ") after the connection closed");
            }
        }
        // whatever happened, no request may stay counted (a drain would wait for it)
        if (UNREACHABLE.active().inFlight() != 0) {
            int stuck = UNREACHABLE.active().inFlight();
            throw new AssertionError(stuck + " request(s) still counted in flight after the connection closed");
        }
    }
}
