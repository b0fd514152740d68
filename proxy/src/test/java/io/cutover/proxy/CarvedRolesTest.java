package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.proxy.RetryRule.Attempt;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The small roles taken out of the client connection and the exchange: retry, rechunking, the read gate. */
class CarvedRolesTest {

    @Test
    void onlyARequestOnAPooledConnectionThatCannotHaveReachedTheAppIsRetried() {
        assertTrue(RetryRule.mayRetry(Attempt.POOLED, false, false, true, false));
        assertFalse(RetryRule.mayRetry(Attempt.FRESH, false, false, true, false), "a fresh connection's failure is real");
        assertFalse(RetryRule.mayRetry(Attempt.RETRY, false, false, true, false), "retried once already");
        assertFalse(RetryRule.mayRetry(Attempt.POOLED, true, false, true, false), "a byte of its body went out");
        assertFalse(RetryRule.mayRetry(Attempt.POOLED, false, true, true, false), "a response began");
        assertFalse(RetryRule.mayRetry(Attempt.POOLED, false, false, false, false), "not idempotent");
        assertFalse(RetryRule.mayRetry(Attempt.POOLED, false, false, true, true), "its backend is closed");
    }

    @Test
    void aBodyDelimitedByCloseGoesToAnHttp11ClientAsChunksEndedByTheLastChunk() {
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        ChannelHandlerContext ctx = ch.pipeline().firstContext();
        Rechunker r = Rechunker.of(false, io.cutover.proxy.http.Framing.UNTIL_CLOSE);
        assertEquals(Rechunker.CHUNKED, r);
        r.write(ctx, Unpooled.copiedBuffer("hello, world", StandardCharsets.US_ASCII));
        r.end(ctx);
        ch.flush();
        assertEquals("c\r\nhello, world\r\n0\r\n\r\n", ConnectionPhaseTest.written(ch));
        assertEquals(Rechunker.AS_IS, Rechunker.of(true, io.cutover.proxy.http.Framing.UNTIL_CLOSE), "HTTP/1.0: closes instead");
        Rechunker.AS_IS.write(ctx, Unpooled.copiedBuffer("as is", StandardCharsets.US_ASCII));
        Rechunker.AS_IS.end(ctx);
        ch.flush();
        assertEquals("as is", ConnectionPhaseTest.written(ch));
        ch.finishAndReleaseAll();
    }

    /** A sink that takes messages while open, and records them. */
    private static final class Sink implements ReadGate.Sink {
        final List<Object> got = new ArrayList<>();
        boolean closed;

        @Override
        public boolean nowhereToGo() {
            return closed;
        }

        @Override
        public void dispatch(Object msg) {
            got.add(msg);
        }
    }

    @Test
    void whatIsReadWhileTheBackendIsBlockedWaitsInOrderAndReadingStopsUntilItWentOn() {
        EmbeddedChannel ch = new EmbeddedChannel();
        Sink sink = new Sink();
        ReadGate gate = new ReadGate(ch, sink);
        gate.offer("a");
        assertEquals(List.of("a"), sink.got);

        gate.backendBlocked(true);
        assertFalse(ch.config().isAutoRead());
        gate.offer("b");
        gate.offer("c");
        assertEquals(List.of("a"), sink.got);

        sink.closed = true;
        gate.backendBlocked(false);
        assertEquals(List.of("a"), sink.got, "the sink still has nowhere to put them");
        assertFalse(ch.config().isAutoRead());

        sink.closed = false;
        gate.drain();
        assertEquals(List.of("a", "b", "c"), sink.got);
        assertTrue(ch.config().isAutoRead());

        gate.inputEnded();
        assertTrue(gate.clientDone());
        ch.finishAndReleaseAll();
    }
}
