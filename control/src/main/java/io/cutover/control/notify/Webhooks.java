package io.cutover.control.notify;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts each {@link Event} as JSON to every configured URL, with a Slack-compatible {@code text}
 * field: on a thread of its own ({@code sender}), so {@link #publish} returns at once. A delivery
 * that fails (no answer within the timeout, a status other than 2xx) is tried again after 1 s,
 * 2 s, 4 s... up to the attempts configured. At most {@link #MAX_PENDING} deliveries wait; more
 * are dropped and counted. The URLs are secrets (a Slack URL is its own credential): nothing here
 * logs or shows one, only its place in the list ("webhook 2 of 3").
 */
public final class Webhooks implements Events {
    private static final Logger log = LoggerFactory.getLogger(Webhooks.class);
    static final int MAX_PENDING = 1000;
    private static final Duration FIRST_RETRY = Duration.ofSeconds(1);

    private final List<URI> urls;
    private final Duration timeout;
    private final int attempts;
    private final ScheduledExecutorService sender;
    private final HttpClient http;
    private final ObjectMapper json;
    private final AtomicInteger pending = new AtomicInteger();
    private final Counter delivered;
    private final Counter failed;
    private final Counter dropped;
    private final Duration firstRetry;

    /**
     * @param sender   sends, and waits to try again (one thread, which may block: DNS); shut down by {@link #close}
     * @param timeout  one attempt's limit
     * @param attempts attempts per event and URL
     */
    public Webhooks(List<URI> urls, Duration timeout, int attempts, ScheduledExecutorService sender, ObjectMapper json,
                    MeterRegistry meters) {
        this(urls, timeout, attempts, sender, json, meters, FIRST_RETRY);
    }

    /** With the pause before the first retry given (a test's short one). */
    Webhooks(List<URI> urls, Duration timeout, int attempts, ScheduledExecutorService sender, ObjectMapper json,
             MeterRegistry meters, Duration firstRetry) {
        this.urls = List.copyOf(urls);
        this.timeout = timeout;
        this.attempts = attempts;
        this.sender = sender;
        this.json = json;
        this.firstRetry = firstRetry;
        // none without a webhook: building one loads the JDK's TLS stack, most of a second of a
        // start-up on a busy machine (an upgrade's new process waits for it)
        this.http = this.urls.isEmpty() ? null : HttpClient.newBuilder().executor(sender).connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.delivered = outcome(meters, "delivered");
        this.failed = outcome(meters, "failed");
        this.dropped = outcome(meters, "dropped");
    }

    private static Counter outcome(MeterRegistry meters, String outcome) {
        return Counter.builder("cutover.webhooks").description("Webhook deliveries by outcome: delivered, failed "
                + "(after every attempt), dropped (too many waiting)").tag("outcome", outcome).register(meters);
    }

    /** The JSON an event is posted as. */
    public static Map<String, Object> payload(Event e) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("text", e.text());
        p.put("kind", e.kind().name().toLowerCase(Locale.ROOT));
        p.put("app", e.app());
        p.put("deployment", e.deployment());
        p.put("details", e.details());
        p.put("at", e.at().toString());
        return p;
    }

    @Override
    public void publish(Event event) {
        if (urls.isEmpty()) {
            return;
        }
        byte[] body;
        try {
            body = json.writeValueAsBytes(payload(event));
        } catch (Exception e) {
            log.warn("webhooks: cannot write event {} as JSON ({})", event.kind(), e.getClass().getSimpleName());
            return;
        }
        for (int i = 0; i < urls.size(); i++) {
            if (pending.incrementAndGet() > MAX_PENDING) {
                pending.decrementAndGet();
                dropped.increment();
                log.warn("{}: event {} dropped: {} deliveries wait already", which(i), event.kind(), MAX_PENDING);
                continue;
            }
            int index = i;
            later(() -> attempt(index, body, 1), Duration.ZERO);
        }
    }

    /** One attempt to deliver {@code body} to URL {@code i}; on failure, another later, up to {@link #attempts}. */
    private void attempt(int i, byte[] body, int n) {
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(urls.get(i)).timeout(timeout)
                    .header("Content-Type", "application/json").header("User-Agent", "cutover")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
            http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                    .orTimeout(timeout.toMillis() * 2, TimeUnit.MILLISECONDS)     // a body that never ends
                    .whenComplete((r, e) -> ended(i, body, n, e != null ? describe(e)
                            : r.statusCode() / 100 == 2 ? null : "HTTP " + r.statusCode()));
        } catch (RuntimeException e) {
            ended(i, body, n, describe(e));
        }
    }

    private void ended(int i, byte[] body, int n, String failure) {
        if (failure == null) {
            pending.decrementAndGet();
            delivered.increment();
            return;
        }
        if (n < attempts) {
            Duration pause = firstRetry.multipliedBy(1L << Math.min(n - 1, 10));
            log.debug("{}: attempt {} failed ({}); again in {} ms", which(i), n, failure, pause.toMillis());
            later(() -> attempt(i, body, n + 1), pause);
            return;
        }
        log.warn("{}: gave up after {} attempts, the last: {}", which(i), n, failure);     // told before counted
        pending.decrementAndGet();
        failed.increment();
    }

    private void later(Runnable task, Duration delay) {
        try {
            sender.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            pending.decrementAndGet();      // closing
        }
    }

    /** "webhook 2 of 3": never the URL, which is a secret. */
    private String which(int i) {
        return "webhook " + (i + 1) + " of " + urls.size();
    }

    /** What went wrong, without a message that might quote the URL. */
    private String describe(Throwable e) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof HttpTimeoutException || cause instanceof java.util.concurrent.TimeoutException) {
            return "no answer within " + timeout.toMillis() + " ms";
        }
        return cause.getClass().getSimpleName();
    }

    /** How many deliveries wait or run now. */
    int pending() {
        return pending.get();
    }

    /** Stops sending (what waits is dropped). */
    public void close() {
        sender.shutdownNow();
    }
}
