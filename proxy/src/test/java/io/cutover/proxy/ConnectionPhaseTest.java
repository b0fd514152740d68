package io.cutover.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.MockTicker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A client connection's {@link FrontendHandler.Phase} and its exchange's {@link Exchange.Phase},
 * on embedded channels (no sockets) and a clock moved by hand: the backend connections are
 * embedded channels on the client's loop.
 */
class ConnectionPhaseTest {
    private static final String GET = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
    private static final String OK_HEAD = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n";

    private final MockTicker time = io.netty.util.concurrent.Ticker.newMockTicker();
    private final Ticker ticker = time::nanoTime;
    private final ProxySettings settings = ProxySettings.defaults();
    private final List<EmbeddedChannel> backendConnections = new ArrayList<>();
    private final Router router = new Router();
    private final EmbeddedChannel client;
    private final FrontendHandler front;

    ConnectionPhaseTest() {
        Bootstrap toBackend = new Bootstrap()
                .channelFactory(() -> {
                    EmbeddedChannel ch = EmbeddedChannel.builder().register(false).build();
                    backendConnections.add(ch);
                    return ch;
                })
                .disableResolver()      // an embedded loop cannot host one; the address is resolved
                .handler(new BackendInitializer(settings, ticker));
        Target t = new Target("127.0.0.1", 9);
        DefaultChannelGroup all = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
        router.flip(new Backend(Router.DEFAULT_APP, t, t.resolve(), "v1",
                TrafficObserver.NONE.forBackend(Router.DEFAULT_APP, t, "v1"), toBackend, 4, all, ticker));
        client = EmbeddedChannel.builder().ticker(time)
                .handlers(new ProxyInitializer(router, settings, all, new AccessLogSlot(), ticker)).build();
        front = client.pipeline().get(FrontendHandler.class);      // kept: a closed channel's pipeline lets go of it
    }

    @AfterEach
    void releaseAll() {
        client.finishAndReleaseAll();
        for (EmbeddedChannel b : backendConnections) {
            b.finishAndReleaseAll();
        }
    }

    private FrontendHandler front() {
        return front;
    }

    private void fromClient(String bytes) {
        client.writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.US_ASCII));
        client.runPendingTasks();
    }

    private EmbeddedChannel backend() {
        assertEquals(1, backendConnections.size(), "backend connections opened");
        return backendConnections.get(0);
    }

    private void fromBackend(String bytes) {
        backend().writeInbound(Unpooled.copiedBuffer(bytes, StandardCharsets.US_ASCII));
        client.runPendingTasks();
    }

    /** Everything written to a channel so far, as text. */
    static String written(EmbeddedChannel ch) {
        StringBuilder out = new StringBuilder();
        for (Object o; (o = ch.readOutbound()) != null; ) {
            ByteBuf b = (ByteBuf) o;
            out.append(b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
        return out.toString();
    }

    private void passTime(Duration d) {
        time.advance(d.toNanos(), TimeUnit.NANOSECONDS);
        client.runScheduledPendingTasks();
        client.runPendingTasks();
    }

    @Test
    void aForwardedRequestGoesFromNewThroughForwardingToIdleWhileItsExchangeConnectsSendsRespondsAndEnds() {
        assertEquals(FrontendHandler.Phase.NEW, front().phase());
        fromClient(GET);        // and the backend connection opens (the embedded loop runs its tasks at once)
        assertEquals(FrontendHandler.Phase.FORWARDING, front().phase(), () -> written(client));
        Exchange exchange = front().exchange();
        assertEquals(Exchange.Phase.SENDING, exchange.phase());
        assertEquals(Exchange.RequestBody.WHOLE, exchange.body());
        assertTrue(written(backend()).startsWith("GET /x HTTP/1.1\r\n"));

        fromBackend(OK_HEAD);
        assertEquals(Exchange.Phase.RESPONDING, exchange.phase());
        assertEquals(FrontendHandler.Phase.FORWARDING, front().phase());

        fromBackend("ok");
        assertEquals(Exchange.Phase.ENDED, exchange.phase());
        assertEquals(FrontendHandler.Phase.IDLE, front().phase());
        assertNull(front().exchange());
        assertEquals(OK_HEAD + "ok", written(client));
        assertTrue(client.config().isAutoRead(), "the next request is read");
    }

    @Test
    void aBackendThatDoesNotAnswerWithinTheResponseTimeoutIsAnswered504AndTheConnectionGoesOn() {
        fromClient(GET);
        Exchange exchange = front().exchange();
        assertEquals(Exchange.Phase.SENDING, exchange.phase());

        passTime(settings.responseTimeout().minusMillis(1));
        assertEquals(Exchange.Phase.SENDING, exchange.phase(), "not yet");
        passTime(Duration.ofMillis(1));
        assertEquals(Exchange.Phase.ENDED, exchange.phase());
        assertTrue(written(client).startsWith("HTTP/1.1 504 "));
        assertEquals(FrontendHandler.Phase.IDLE, front().phase());
    }

    @Test
    void aPausedRequestIsHeldThenGoesOnWhenThePauseEnds() {
        AppRouter app = router.app(Router.DEFAULT_APP);
        Pause pause = new Pause(Duration.ofSeconds(30), 10, null);
        app.pause(pause);
        fromClient(GET);
        assertEquals(FrontendHandler.Phase.HELD, front().phase());
        assertEquals(1, pause.held());
        assertFalse(client.config().isAutoRead(), "a held request's body waits unread");
        assertTrue(backendConnections.isEmpty());

        app.pause(null);
        pause.end();
        client.pipeline().fireUserEventTriggered(FrontendHandler.RESUMED);
        client.runPendingTasks();
        assertEquals(0, pause.held());
        assertEquals(FrontendHandler.Phase.FORWARDING, front().phase());
        assertTrue(written(backend()).startsWith("GET /x HTTP/1.1\r\n"));
    }

    @Test
    void aHeldRequestIsAnswered503WhenItsPauseTimesOut() {
        Pause pause = new Pause(Duration.ofSeconds(30), 10, null);
        router.app(Router.DEFAULT_APP).pause(pause);
        fromClient(GET);
        assertEquals(FrontendHandler.Phase.HELD, front().phase());

        passTime(Duration.ofSeconds(30));
        assertEquals(0, pause.held());
        assertTrue(written(client).startsWith("HTTP/1.1 503 "));
        assertEquals(FrontendHandler.Phase.IDLE, front().phase());
        assertTrue(client.config().isAutoRead());
    }

    @Test
    void aStopWhileIdleClosesTheConnectionAfterTheLinger() {
        fromClient(GET);
        fromBackend(OK_HEAD + "ok");
        assertEquals(FrontendHandler.Phase.IDLE, front().phase());
        written(client);

        StopTally tally = new StopTally();
        client.pipeline().fireUserEventTriggered(new StopTally.Stopping(tally));
        assertTrue(client.isActive(), "a request may be on its way");
        passTime(Duration.ofMillis(FrontendHandler.IDLE_LINGER_MILLIS - 1));
        assertTrue(client.isActive());

        passTime(Duration.ofMillis(1));
        assertFalse(client.isActive());
        assertEquals(FrontendHandler.Phase.ENDED, front().phase());
        assertEquals(1, tally.reached.get());
        assertEquals(1, tally.closedIdle.get());
    }

    @Test
    void aStopMidExchangeLetsTheResponseFinishWithConnectionCloseThenCloses() {
        fromClient(GET);
        Exchange exchange = front().exchange();
        StopTally tally = new StopTally();
        client.pipeline().fireUserEventTriggered(new StopTally.Stopping(tally));
        assertEquals(FrontendHandler.Phase.FORWARDING, front().phase());

        fromBackend(OK_HEAD + "ok");
        assertEquals(Exchange.Phase.ENDED, exchange.phase());
        String answer = written(client);
        assertTrue(answer.startsWith("HTTP/1.1 200 OK\r\n"), answer);
        assertTrue(answer.toLowerCase().contains("connection: close\r\n"), answer);
        client.runPendingTasks();
        assertFalse(client.isActive());
        assertEquals(FrontendHandler.Phase.ENDED, front().phase());
        assertEquals(1, tally.answeredAndClosed.get());
    }

    @Test
    void aStopWhileARequestIsHeldAnswersIt503AndCloses() {
        Pause pause = new Pause(Duration.ofSeconds(30), 10, null);
        router.app(Router.DEFAULT_APP).pause(pause);
        fromClient(GET);
        StopTally tally = new StopTally();
        client.pipeline().fireUserEventTriggered(new StopTally.Stopping(tally));
        client.runPendingTasks();
        assertEquals(0, pause.held());
        String answer = written(client);
        assertTrue(answer.startsWith("HTTP/1.1 503 "), answer);
        assertTrue(answer.contains("connection: close\r\n"), answer);
        assertFalse(client.isActive());
        assertEquals(1, tally.answeredAndClosed.get());
    }

    @Test
    void aBackendThatClosesMidResponseCutsTheClient() {
        fromClient(GET);
        fromBackend(OK_HEAD + "o");
        Exchange exchange = front().exchange();
        assertNotNull(exchange);
        backend().close();
        client.runPendingTasks();
        assertEquals(Exchange.Phase.ENDED, exchange.phase());
        assertFalse(client.isActive());
        assertEquals(FrontendHandler.Phase.ENDED, front().phase());
    }
}
