package io.cutover.control.canary;

import io.cutover.proxy.CanaryCookie;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

/**
 * An app's secret for signing its canary cookie: {@value CanaryCookie#KEY_BYTES} random bytes in
 * {@code <state-dir>/<app>.canary-key} (mode 0600), made on first need and kept, so a client's
 * cookie stays valid across canaries and restarts. File I/O: never call it on an event loop.
 */
public final class CanaryKey {
    private CanaryKey() {
    }

    /** Where an app's key is kept, beside its state file. */
    public static Path file(Path stateFile, String app) {
        return stateFile.resolveSibling(app + ".canary-key");
    }

    /** The key in {@code file}, made there if it is missing (or not a key). */
    public static byte[] load(Path file) {
        try {
            if (Files.isRegularFile(file)) {
                byte[] key = Files.readAllBytes(file);
                if (key.length == CanaryCookie.KEY_BYTES) {
                    return key;
                }
                Files.delete(file);     // cut short or written by hand: a new one
            }
            byte[] key = new byte[CanaryCookie.KEY_BYTES];
            new SecureRandom().nextBytes(key);
            Files.createDirectories(file.getParent());
            Path temp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.deleteIfExists(temp);
            try {
                Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException notPosix) {
                Files.createFile(temp);
            }
            Files.write(temp, key, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
            try {
                Files.move(temp, file);     // not replacing: another process that made one first wins
            } catch (FileAlreadyExistsException raced) {
                Files.delete(temp);
                return load(file);
            }
            return key;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the canary cookie key in " + file, e);
        }
    }
}
