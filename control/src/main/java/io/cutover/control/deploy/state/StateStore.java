package io.cutover.control.deploy.state;

import io.cutover.control.deploy.runtime.Instance;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import io.cutover.control.boot.StartupFailure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One app's state file, which names the app (and its ports) it belongs to: a state file of
 * another app is never adopted. Writes are atomic: a temp file in the same directory, fsync,
 * rename over the old one, fsync the directory; a reader (or a restart after a crash at any
 * point) sees the old state or the new one, never half of one. A file that cannot be read stops
 * start-up and is left as it is, for whoever looks into it.
 */
public final class StateStore {
    private static final Logger log = LoggerFactory.getLogger(StateStore.class);
    private static final int FORMAT = 1;

    /** The file's content. */
    record StateFile(int format, String app, List<Integer> ports, Instance active, Instance previous,
                     Instance candidate, Instant previousStopsAt, AppState.Maintenance maintenance,
                     AppState.Paused paused) {
    }

    /** Puts the fully written temp file in place of the state file (a test stands a crash in for it). */
    @FunctionalInterface
    interface Replace {
        void replace(Path tmp, Path file) throws IOException;
    }

    private static final Replace RENAME = (tmp, file) ->
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

    private final Path file;
    private final String app;
    private final List<Integer> ports;
    private final ObjectMapper json;
    private final Replace replace;

    public StateStore(Path file, String app, List<Integer> ports, ObjectMapper json) {
        this(file, app, ports, json, RENAME);
    }

    StateStore(Path file, String app, List<Integer> ports, ObjectMapper json, Replace replace) {
        this.file = file.toAbsolutePath();
        this.app = app;
        this.ports = List.copyOf(ports);
        this.json = json.copy().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        this.replace = replace;
    }

    public Path file() {
        return file;
    }

    /**
     * The app's state, or an empty one if it has none yet.
     *
     * @throws StartupFailure if the file cannot be read, or belongs to another app
     */
    public AppState load() {
        removeStaleTemps();
        if (!Files.exists(file)) {
            return AppState.EMPTY;
        }
        Set<String> unknown = new TreeSet<>();
        StateFile s;
        try {
            s = json.reader().withHandler(new DeserializationProblemHandler() {
                @Override
                public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p,
                                                     JsonDeserializer<?> deserializer, Object bean, String name)
                        throws IOException {
                    unknown.add(name);
                    p.skipChildren();
                    return true;
                }
            }).readValue(file.toFile(), StateFile.class);
        } catch (IOException e) {
            throw new StartupFailure("the state file " + file + " cannot be read (" + firstLine(e)
                    + "); it is left as it is: repair it, or move it away to start with no version deployed");
        }
        if (s == null) {
            throw new StartupFailure("the state file " + file + " is empty; it is left as it is: "
                    + "move it away to start with no version deployed");
        }
        if (!app.equals(s.app())) {
            throw new StartupFailure("the state file " + file + " belongs to "
                    + (s.app() == null ? "no app (it names none)" : "app '" + s.app() + "'") + ", not to app '" + app
                    + "' (cutover.app.name): give each app its own state file, or name the right app");
        }
        if (!unknown.isEmpty()) {
            log.warn("state file {} has fields this version does not know, ignored: {}", file, unknown);
        }
        if (s.ports() != null && !s.ports().equals(ports)) {
            log.warn("state file {} was written for ports {}; cutover.app.ports is now {}: the versions it names "
                    + "keep their ports, new ones take the new ports", file, s.ports(), ports);
        }
        return new AppState(s.active(), s.previous(), s.candidate(), s.previousStopsAt(), s.maintenance(), s.paused());
    }

    public void save(AppState state) {
        Path dir = file.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            byte[] bytes = json.writerWithDefaultPrettyPrinter().writeValueAsBytes(new StateFile(FORMAT, app, ports,
                    state.active(), state.previous(), state.candidate(), state.previousStopsAt(), state.maintenance(),
                    state.paused()));
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    ch.write(buffer);
                }
                ch.force(true);
            }
            replace.replace(tmp, file);
            tmp = null;
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the state file " + file + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // load() removes it next time
                }
            }
        }
    }

    /** Temp files a crash left between writing and renaming: never the state, so they go. */
    private void removeStaleTemps() {
        if (!Files.isDirectory(file.getParent())) {
            return;
        }
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(file.getParent(),
                file.getFileName().toString() + "*.tmp")) {
            for (Path t : temps) {
                Files.deleteIfExists(t);
            }
        } catch (IOException e) {
            log.warn("cannot remove leftover temp files of {}: {}", file, e.toString());
        }
    }

    private static String firstLine(IOException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
