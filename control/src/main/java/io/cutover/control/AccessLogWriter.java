package io.cutover.control;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.cutover.control.config.AccessLogSettings;
import io.cutover.proxy.AccessLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.LoggerFactory;

/**
 * The access log: one line per request, JSON or the combined format, written through Logback to
 * stdout or a file. Event loops only put the entry in a bounded lock-free queue; a thread of its
 * own formats and writes it. A full queue drops the entry and counts it
 * ({@code cutover_access_log_dropped_total}) rather than slow a request. {@link #reopen} (SIGUSR1,
 * {@code cutover reopen-logs}) opens the file again after logrotate moved it.
 */
public final class AccessLogWriter implements AccessLog, AutoCloseable {
    static final int CAPACITY = 65_536;
    private static final java.util.concurrent.atomic.AtomicInteger WRITERS = new java.util.concurrent.atomic.AtomicInteger();
    private static final org.slf4j.Logger log = LoggerFactory.getLogger(AccessLogWriter.class);
    private static final DateTimeFormatter COMBINED_TIME =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final AccessLogSettings settings;
    private final Queue<Entry> queue;
    private final Counter dropped;
    private final Logger logger;
    private final OutputStreamAppender<ILoggingEvent> appender;
    private final JsonFactory json = new JsonFactory();
    private final Thread writer;
    private volatile boolean reopen;
    /** Lines written since the last flush (the writer's thread only). */
    private boolean unflushed;
    private volatile boolean closed;

    public AccessLogWriter(AccessLogSettings settings, MeterRegistry meters) {
        this(settings, meters, CAPACITY, true);
    }

    /** @param write whether the writer thread runs (a test holds it back to fill the queue) */
    AccessLogWriter(AccessLogSettings settings, MeterRegistry meters, int capacity, boolean write) {
        this.settings = settings;
        this.queue = PlatformDependent.newMpscQueue(capacity);
        this.dropped = Counter.builder("cutover.access.log.dropped")
                .description("Access log lines dropped because the writer was behind (requests were not slowed)")
                .register(meters);
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%msg%n");
        encoder.start();
        if (settings.toStdout()) {
            ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
            appender = console;
        } else {
            FileAppender<ILoggingEvent> file = new FileAppender<>();
            file.setFile(settings.path());
            file.setAppend(true);
            appender = file;
        }
        appender.setContext(context);
        appender.setName("access-log");
        appender.setImmediateFlush(false);      // buffered: flushed whenever the queue runs empty
        appender.setEncoder(encoder);
        appender.start();
        if (!appender.isStarted()) {
            throw new StartupFailure("cannot open the access log " + settings.path());
        }
        logger = context.getLogger("cutover.access.w" + WRITERS.incrementAndGet());  // its own: a root level never silences it
        logger.setLevel(ch.qos.logback.classic.Level.INFO);
        logger.setAdditive(false);
        logger.detachAndStopAllAppenders();
        logger.addAppender(appender);
        writer = new Thread(this::write, "cutover-access-log");
        writer.setDaemon(true);
        if (write) {
            writer.start();
        }
    }

    @Override
    public void log(Entry entry) {
        if (!queue.offer(entry)) {
            dropped.increment();
        }
    }

    @Override
    public boolean wantsAgents() {
        return settings.format() == AccessLogSettings.Format.COMBINED;
    }

    /** Opens the file again (after logrotate moved it); on the writer's thread, between lines. */
    public void reopen() {
        reopen = true;
        LockSupport.unpark(writer);
    }

    private void write() {
        while (!closed || !queue.isEmpty()) {
            try {
                if (reopen) {
                    reopen = false;
                    appender.stop();
                    appender.start();
                    if (!appender.isStarted()) {
                        log.error("cannot open the access log {} again: lines are dropped until a reopen succeeds",
                                settings.path());
                    }
                }
                Entry e = queue.poll();
                if (e == null) {
                    if (unflushed && appender.isStarted()) {
                        unflushed = false;
                        appender.getOutputStream().flush();     // a line is on disk within a few ms of its request
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                    continue;
                }
                if (appender.isStarted()) {
                    logger.info(format(e));
                    unflushed = true;
                } else {
                    dropped.increment();
                }
            } catch (java.io.IOException x) {
                log.error("flushing the access log failed", x);
            } catch (RuntimeException | Error x) {     // a line that cannot be written: counted, the writer goes on
                dropped.increment();
                log.error("access log line not written", x);
            }
        }
    }

    String format(Entry e) {
        return settings.format() == AccessLogSettings.Format.JSON ? json(e) : combined(e);
    }

    private String json(Entry e) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator g = json.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("time", Instant.ofEpochMilli(e.epochMillis()).toString());
            g.writeStringField("client", e.client());
            g.writeStringField("method", e.method());
            g.writeStringField("target", e.target());
            g.writeNumberField("status", e.status());
            g.writeNumberField("bytesIn", e.bytesIn());
            g.writeNumberField("bytesOut", e.bytesOut());
            g.writeNumberField("durationMs", Math.round(e.nanos() / 1_000.0) / 1_000.0);
            g.writeStringField("app", e.app());
            g.writeStringField("version", e.version());
            g.writeStringField("backend", e.backend());
            g.writeStringField("requestId", e.requestId());
            g.writeEndObject();
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
        return out.toString();
    }

    /** The combined format (as nginx and Apache write it), then duration, app, version, backend and request id. */
    private static String combined(Entry e) {
        return e.client() + " - - [" + COMBINED_TIME.format(Instant.ofEpochMilli(e.epochMillis())) + "] \""
                + e.method() + " " + quoted(e.target()) + " HTTP/1.1\" " + e.status() + " " + e.bytesOut() + " \""
                + quoted(e.referer()) + "\" \"" + quoted(e.userAgent()) + "\" "
                + String.format(Locale.ROOT, "%.3f", e.nanos() / 1e9) + " " + e.app() + " \"" + quoted(e.version())
                + "\" " + e.backend() + " " + (e.requestId() == null ? "-" : quoted(e.requestId()));
    }

    private static String quoted(String s) {
        return s == null ? "-" : s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** Writes what is queued (for at most 5 s), then closes the file; what could not be written is counted. */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(writer);
        try {
            if (writer.isAlive()) {
                writer.join(TimeUnit.SECONDS.toMillis(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!writer.isAlive()) {
            for (Entry left = queue.poll(); left != null; left = queue.poll()) {
                dropped.increment();    // never written: the writer never ran (a test's) or gave up
            }
            appender.stop();
        }
        logger.detachAndStopAllAppenders();
    }
}
