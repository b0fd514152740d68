package io.cutover.control.observe;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import io.cutover.control.boot.StartupFailure;
import io.cutover.control.config.AccessLogSettings;
import io.cutover.proxy.AccessLog;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.LoggerFactory;

/**
 * The access log: one line per request, JSON or the combined format, written through Logback to
 * stdout or a file. Event loops only put the entry in a lock-free queue bounded by bytes (the
 * entries' {@linkplain Entry#retainedBytes estimated size}, at most {@link AccessLogSettings#buffer});
 * a thread of its own formats and writes it. An entry that does not fit (the writer is behind, or
 * stuck on a stdout nobody reads) is dropped and counted ({@code cutover_access_log_dropped_total})
 * rather than slow a request or fill the heap. Every field is escaped so that no client can end a
 * line or forge one: JSON through Jackson, with every character beyond ASCII escaped (a backslash, u and its hex);
 * the combined format as nginx does, {@code \x22} for a quote, a backslash, a control character
 * and every byte from 0x7f (and, in the unquoted fields, a space). {@link #reopen} (SIGUSR1,
 * {@code cutover reopen-logs}) opens the file again after logrotate moved it.
 */
public final class AccessLogWriter implements AccessLog, AutoCloseable {
    /** The smallest entry there can be, for the most entries the byte budget admits. */
    private static final int SMALLEST_ENTRY = 256;
    private static final java.util.concurrent.atomic.AtomicInteger WRITERS = new java.util.concurrent.atomic.AtomicInteger();
    private static final org.slf4j.Logger log = LoggerFactory.getLogger(AccessLogWriter.class);
    private static final DateTimeFormatter COMBINED_TIME =
            DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final AccessLogSettings settings;
    private final Queue<Entry> queue;
    private final long budget;
    /** The estimated bytes of the entries queued or being written. */
    private final AtomicLong queued = new AtomicLong();
    private final Counter dropped;
    private final Logger logger;
    private final OutputStreamAppender<ILoggingEvent> appender;
    private final JsonFactory json = JsonFactory.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();
    private final Thread writer;
    private volatile boolean reopen;
    /** Lines written since the last flush (the writer's thread only). */
    private boolean unflushed;
    private volatile boolean closed;

    public AccessLogWriter(AccessLogSettings settings, MeterRegistry meters) {
        this(settings, meters, null);
    }

    /** @param sink where lines go instead of the settings' path (a test's, one that stalls), or null */
    public AccessLogWriter(AccessLogSettings settings, MeterRegistry meters, OutputStream sink) {
        this.settings = settings;
        this.budget = settings.buffer();
        this.queue = PlatformDependent.newMpscQueue((int) Math.min(Integer.MAX_VALUE, budget / SMALLEST_ENTRY));
        this.dropped = Counter.builder("cutover.access.log.dropped")
                .description("Access log lines dropped because the writer was behind (requests were not slowed)")
                .register(meters);
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%msg%n");
        encoder.setCharset(StandardCharsets.UTF_8);     // lines are ASCII anyway: never the platform's charset
        encoder.start();
        if (sink != null) {
            appender = new OutputStreamAppender<>();
            appender.setOutputStream(sink);
        } else if (settings.toStdout()) {
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
        writer.start();
    }

    /** On an event loop: the entry is queued if it fits in the budget, else dropped and counted. */
    @Override
    public void log(Entry entry) {
        long size = entry.retainedBytes();
        if (queued.addAndGet(size) > budget || !queue.offer(entry)) {
            queued.addAndGet(-size);
            dropped.increment();
        }
    }

    /** The estimated bytes of the entries waiting to be written (or being written), never over the budget. */
    public long queuedBytes() {
        return queued.get();
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
                try {
                    if (appender.isStarted()) {
                        logger.info(format(e));
                        unflushed = true;
                    } else {
                        dropped.increment();
                    }
                } finally {
                    queued.addAndGet(-e.retainedBytes());     // held until its line is written
                }
            } catch (java.io.IOException x) {
                log.error("flushing the access log failed", x);
            } catch (RuntimeException | Error x) {     // a line that cannot be written: counted, the writer goes on
                dropped.increment();
                log.error("access log line not written", x);
            }
        }
    }

    public String format(Entry e) {
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

    /**
     * The combined format (as nginx and Apache write it), then duration, app, version, backend and
     * request id; every field escaped (see {@link #escape}), so a line always has these 14 fields.
     */
    private static String combined(Entry e) {
        StringBuilder b = new StringBuilder(256);
        escape(b, e.client(), true).append(" - - [").append(COMBINED_TIME.format(Instant.ofEpochMilli(e.epochMillis())))
                .append("] \"");
        escape(b, e.method(), false).append(' ');
        escape(b, e.target(), false).append(" HTTP/1.1\" ").append(e.status()).append(' ').append(e.bytesOut())
                .append(" \"");
        escape(b, e.referer(), false).append("\" \"");
        escape(b, e.userAgent(), false).append("\" ").append(String.format(Locale.ROOT, "%.3f", e.nanos() / 1e9))
                .append(' ');
        escape(b, e.app(), true).append(" \"");
        escape(b, e.version(), false).append("\" ");
        escape(b, e.backend(), true).append(' ');
        return escape(b, e.requestId(), true).toString();
    }

    /**
     * A field as nginx escapes a variable in a log line: a quote, a backslash, a control character
     * and every byte from 0x7f as {@code \xHH} ({@code \x22}), so that no field can end the line
     * or its quotes; in a field written without quotes ({@code bare}) a space too. The head is
     * decoded as ISO-8859-1, so a char up to 0xff is the byte received; one beyond (from the
     * config) is its UTF-8 bytes. A null or empty field is {@code -}.
     */
    static StringBuilder escape(StringBuilder b, String s, boolean bare) {
        if (s == null || s.isEmpty()) {
            return b.append('-');
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c > 0xff) {
                int cp = s.codePointAt(i);
                i += Character.charCount(cp) - 1;
                for (byte x : new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8)) {
                    hex(b, x & 0xff);
                }
            } else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || bare && c == ' ') {
                hex(b, c);
            } else {
                b.append(c);
            }
        }
        return b;
    }

    private static void hex(StringBuilder b, int v) {
        b.append("\\x").append(HEX[v >> 4]).append(HEX[v & 0xf]);
    }

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

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
                queued.addAndGet(-left.retainedBytes());
                dropped.increment();    // never written: the writer never ran (a test's) or gave up
            }
            appender.stop();
        }
        logger.detachAndStopAllAppenders();
    }
}
