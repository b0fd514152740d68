package io.cutover.control.notify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.cutover.control.admin.Json;
import io.cutover.proxy.Eventually;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Webhooks against an in-process HTTP server on port 0, whose answers the test picks. */
class WebhooksTest {
    private static final String SECRET = "/services/T000/B000/s3cr3t-webhook-token";

    private final ObjectMapper json = Json.mapper();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();
    private final List<Integer> answers = new CopyOnWriteArrayList<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final CountDownLatch release = new CountDownLatch(1);
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private volatile boolean hang;
    private HttpServer server;
    private ScheduledExecutorService sender;
    private Webhooks webhooks;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", this::answer);
        server.start();
        sender = Executors.newSingleThreadScheduledExecutor();
        logs.start();
        root.addAppender(logs);
    }

    @AfterEach
    void stop() throws Exception {
        root.detachAppender(logs);
        release.countDown();
        if (webhooks != null) {
            webhooks.close();
        }
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    private void answer(HttpExchange x) throws IOException {
        requests.incrementAndGet();
        received.add(json.readTree(x.getRequestBody().readAllBytes()));
        if (hang) {
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        int status = answers.isEmpty() ? 200 : answers.remove(0);
        x.sendResponseHeaders(status, -1);
        x.close();
    }

    private URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + SECRET);
    }

    private Webhooks webhooks(List<URI> urls, Duration timeout, int attempts) {
        webhooks = new Webhooks(urls, timeout, attempts, sender, json, meters, Duration.ofMillis(20));
        return webhooks;
    }

    private static Event event() {
        return new Event(Event.Kind.DEPLOY_SUCCEEDED, "shop", "a1b2c3d4", "cutover: shop: deploy a1b2c3d4 succeeded",
                Map.of("release", "shop:v2"), Instant.parse("2026-12-04T21:00:00Z"));
    }

    private double count(String outcome) {
        return meters.counter("cutover.webhooks", "outcome", outcome).count();
    }

    /** The lines logged so far, copied under the appender's lock (the sender's thread appends). */
    private List<String> logLines() {
        synchronized (logs) {
            return logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    private void assertNoLogNamesTheUrl() {
        List<ILoggingEvent> events;
        synchronized (logs) {
            events = List.copyOf(logs.list);
        }
        for (ILoggingEvent e : events) {
            String line = e.getFormattedMessage() + (e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage());
            assertFalse(line.contains(SECRET) || line.contains(url().toString()), "a log line shows the URL: " + line);
        }
    }

    @Test
    void anEventIsPostedAsJsonWithASlackCompatibleText() throws Exception {
        webhooks(List.of(url()), Duration.ofSeconds(5), 3).publish(event());
        JsonNode body = Eventually.value(Duration.ofSeconds(10), "the event", () -> received.isEmpty() ? null : received.get(0),
                b -> b != null);
        assertEquals("cutover: shop: deploy a1b2c3d4 succeeded", body.get("text").asText());
        assertEquals("deploy_succeeded", body.get("kind").asText());
        assertEquals("shop", body.get("app").asText());
        assertEquals("a1b2c3d4", body.get("deployment").asText());
        assertEquals("shop:v2", body.get("details").get("release").asText());
        assertEquals("2026-12-04T21:00:00Z", body.get("at").asText());
        Eventually.until(Duration.ofSeconds(10), "the delivery to count", () -> count("delivered") == 1.0);
    }

    @Test
    void aDeliveryAnswered500IsTriedAgainAndCountsOnceDelivered() throws Exception {
        answers.add(500);
        answers.add(503);
        webhooks(List.of(url()), Duration.ofSeconds(5), 3).publish(event());
        Eventually.until(Duration.ofSeconds(10), "the third attempt to succeed", () -> count("delivered") == 1.0);
        assertEquals(3, requests.get());
        assertEquals(0.0, count("failed"));
        assertNoLogNamesTheUrl();
    }

    @Test
    void aServerThatNeverAnswersIsGivenUpAfterItsAttemptsWithoutNamingTheUrl() throws Exception {
        hang = true;
        URI refused = URI.create("http://127.0.0.1:1" + SECRET);     // nothing listens on port 1
        // 2 s an attempt: long enough that the silent server has read each request before the
        // client gives up on it, even on a busy machine
        Webhooks w = webhooks(List.of(url(), refused), Duration.ofSeconds(2), 2);
        w.publish(event());
        Eventually.until(Duration.ofSeconds(30), "both to be given up", () -> count("failed") == 2.0);
        assertEquals(2, requests.get(), "two attempts at the silent one");
        assertEquals(0, w.pending());
        List<String> lines = logLines();
        assertTrue(lines.stream().anyMatch(l -> l.contains("webhook 1 of 2: gave up")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.contains("webhook 2 of 2: gave up")), lines.toString());
        assertNoLogNamesTheUrl();
    }

    @Test
    void moreDeliveriesThanTheQueueHoldsAreDroppedAndCounted() throws Exception {
        hang = true;
        Webhooks w = webhooks(List.of(url()), Duration.ofSeconds(30), 1);
        for (int i = 0; i < Webhooks.MAX_PENDING + 5; i++) {
            w.publish(event());
        }
        assertEquals(5.0, count("dropped"));
        assertEquals(Webhooks.MAX_PENDING, w.pending());
    }
}
