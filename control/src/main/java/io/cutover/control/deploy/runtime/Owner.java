package io.cutover.control.deploy.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Which cutover a process or container belongs to: the one whose state directory started it.
 * Each carries this tag ({@code CUTOVER_OWNER}, label {@code io.cutover.owner}); a cutover
 * removes, stops or adopts nothing with another owner's tag, however the app is named.
 *
 * <p>The tag is the first 16 hex digits of the SHA-256 of the state directory's real path (no
 * symbolic link, no {@code ..}): the same for every start, restart and takeover on that directory,
 * and different for another directory; a hash, so the host's paths do not show in an app's
 * environment or a container's labels. {@code printf %s "$(realpath DIR)" | sha256sum | cut -c1-16}
 * gives it in a shell.
 */
public final class Owner {
    static final String ENV = "CUTOVER_OWNER";
    static final String LABEL = "io.cutover.owner";

    private Owner() {
    }

    /** The owner tag of the cutover whose app's state file is {@code stateFile}. */
    public static String ofStateFile(Path stateFile) {
        return of(stateFile.toAbsolutePath().getParent());
    }

    /** The owner tag of the state directory {@code dir} (made, if it is not there yet: it will be). */
    public static String of(Path dir) {
        Path real;
        try {
            Files.createDirectories(dir);
            real = dir.toRealPath();
        } catch (IOException e) {
            real = dir.toAbsolutePath().normalize();    // the state store will say what is wrong with it
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(real.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
