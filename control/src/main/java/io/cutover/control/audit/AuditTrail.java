package io.cutover.control.audit;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cutover.control.notify.Event;
import io.cutover.control.notify.Events;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What was done to the apps, one JSON line each, appended to {@code audit.jsonl} in the state
 * directory: every change asked of the admin API (switch, deploy, rollback, canary decision,
 * maintenance, pause, resume, reload, upgrade) with the admin client that asked and the answer,
 * and what happened by itself ({@link Event}s: a deploy's end, a canary's or a bake's decision).
 * Written by a thread of its own ({@link #record} returns at once; at most {@link #MAX_PENDING}
 * lines wait, more are dropped and logged). Capped: when the file would pass its limit it becomes
 * {@code audit.jsonl.1} (replacing the one before) and a new one starts, so the trail keeps
 * between one and two limits' worth of the latest lines. Never a token or a webhook URL.
 */
public final class AuditTrail implements Events {
    private static final Set<PosixFilePermission> OWNER_ONLY =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    private static final Logger log = LoggerFactory.getLogger(AuditTrail.class);
    public static final String FILE = "audit.jsonl";
    public static final long DEFAULT_LIMIT = 10L << 20;
    static final int MAX_PENDING = 10_000;

    /**
     * One line of the trail.
     *
     * @param what       switch, deploy, rollback, canary, maintenance, pause, resume, reload, upgrade,
     *                   or an event's kind (deploy_succeeded, canary_aborted...)
     * @param app        the app, or null (the process: reload, upgrade)
     * @param deployment the deployment concerned, or null
     * @param client     who asked: the admin client ("tcp 127.0.0.1:51234", "unix uid 1000 pid 4242"), or "cutover"
     * @param request    what was asked (the request's fields that are not secrets), or null
     * @param result     how it went: "200", "409: why", or an event's text
     */
    public record Entry(Instant at, String what, String app, String deployment, String client,
                        Map<String, Object> request, String result) {
    }

    private final Path file;
    private final Path older;
    private final long limit;
    private final ExecutorService writer;
    private final ObjectMapper json;
    private final AtomicInteger pending = new AtomicInteger();

    /**
     * @param stateDir where the trail is kept
     * @param limit    the size at which the file is rotated
     * @param writer   one thread that may block on the file; shut down by {@link #close}
     */
    public AuditTrail(Path stateDir, long limit, ExecutorService writer, ObjectMapper json) {
        this.file = stateDir.resolve(FILE);
        this.older = stateDir.resolve(FILE + ".1");
        this.limit = limit;
        this.writer = writer;
        this.json = json;
    }

    /** Appends {@code e}, later, on the writer's thread. */
    public void record(Entry e) {
        if (pending.incrementAndGet() > MAX_PENDING) {
            pending.decrementAndGet();
            log.error("audit trail: {} lines wait to be written already; dropped: {} {}", MAX_PENDING, e.what(), e.app());
            return;
        }
        try {
            writer.execute(() -> {
                try {
                    append(e);
                } finally {
                    pending.decrementAndGet();
                }
            });
        } catch (RejectedExecutionException ex) {
            pending.decrementAndGet();
        }
    }

    /** An event is recorded as done by cutover itself, its text as the result. */
    @Override
    public void publish(Event event) {
        record(new Entry(event.at(), event.kind().name().toLowerCase(Locale.ROOT), event.app(), event.deployment(),
                "cutover", event.details().isEmpty() ? null : new LinkedHashMap<>(event.details()), event.text()));
    }

    private void append(Entry e) {
        try {
            byte[] line = (json.writeValueAsString(e) + "\n").getBytes(StandardCharsets.UTF_8);
            Files.createDirectories(file.getParent());
            if (Files.exists(file) && Files.size(file) + line.length > limit) {
                Files.move(file, older, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            if (!Files.exists(file)) {      // who did what is for the operator only, as the token is
                Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            }
            try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                    StandardOpenOption.WRITE)) {
                out.write(line);
            }
        } catch (IOException | RuntimeException ex) {
            log.warn("audit trail: cannot append to {}: {}", file, ex.toString());
        }
    }

    /**
     * The last {@code last} lines (of {@code app} only, if not null), oldest first, read on the
     * writer's thread (after every line recorded before).
     */
    public CompletableFuture<List<Map<String, Object>>> history(String app, int last) {
        CompletableFuture<List<Map<String, Object>>> f = new CompletableFuture<>();
        try {
            writer.execute(() -> {
                try {
                    f.complete(read(app, last));
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(e);
        }
        return f;
    }

    private List<Map<String, Object>> read(String app, int last) throws IOException {
        Deque<Map<String, Object>> kept = new ArrayDeque<>();
        for (Path p : List.of(older, file)) {
            try (BufferedReader r = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
                String line;
                while ((line = r.readLine()) != null) {
                    Map<String, Object> entry;
                    try {
                        @SuppressWarnings("unchecked")
                        Map<String, Object> m = json.readValue(line, Map.class);
                        entry = m;
                    } catch (IOException e) {
                        continue;       // a torn last line (a crash while writing): skipped
                    }
                    if (app == null || app.equals(entry.get("app"))) {
                        kept.addLast(entry);
                        if (kept.size() > last) {
                            kept.removeFirst();
                        }
                    }
                }
            } catch (NoSuchFileException e) {
                // nothing yet
            }
        }
        return new ArrayList<>(kept);
    }

    /** Writes what waits, then stops. */
    public void close() {
        writer.shutdown();
    }
}
