package io.cutover.control.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The state file. Writes are atomic: a temp file in the same directory, fsync, rename over the
 * old one, fsync the directory. A reader sees the old state or the new one, never half of one.
 */
public final class StateStore {
    private final Path file;
    private final ObjectMapper json;

    public StateStore(Path file, ObjectMapper json) {
        this.file = file.toAbsolutePath();
        this.json = json;
    }

    public Path file() {
        return file;
    }

    public AppState load() {
        if (!Files.exists(file)) {
            return AppState.EMPTY;
        }
        try {
            return json.readValue(file.toFile(), AppState.class);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the state file " + file + ": " + e.getMessage(), e);
        }
    }

    public void save(AppState state) {
        try {
            Path dir = file.getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(ByteBuffer.wrap(json.writerWithDefaultPrettyPrinter().writeValueAsBytes(state)));
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the state file " + file + ": " + e.getMessage(), e);
        }
    }
}
