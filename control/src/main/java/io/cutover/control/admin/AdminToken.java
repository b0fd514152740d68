package io.cutover.control.admin;

import io.cutover.control.boot.StartupFailure;
import io.cutover.control.config.AdminTokenSetting;
import io.cutover.control.config.Settings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's token: the configured one; none (configured as {@code ""}); or, when none is
 * configured, {@code <state-dir>/admin-token}, made at the first start (32 random bytes,
 * base64url, mode 0600 from its creation) and used again by every later start and takeover. The
 * {@code cutover} command of the same user reads it from there. Nothing here logs the token or
 * puts it in a message.
 */
public final class AdminToken {
    /** Only {@code serve} logs here: the CLI reads the token without starting the logging (a third of a command's time). */
    private static Logger log() {
        return LoggerFactory.getLogger(AdminToken.class);
    }
    public static final String FILE = "admin-token";
    private static final Set<PosixFilePermission> OWNER_ONLY =
            EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    private static final SecureRandom RANDOM = new SecureRandom();

    private AdminToken() {
    }

    /**
     * The token check these settings ask for, the token file made if needed (blocking file I/O:
     * at start-up, never on an event loop).
     *
     * @throws StartupFailure if the token file cannot be made or read, or others could read it
     */
    public static AdminAuth auth(Settings settings) {
        AdminTokenSetting configured = settings.adminToken();
        if (configured.isNone()) {
            log().warn("cutover.admin-token is empty: the admin API on {} takes no token, so any local user and "
                    + "process can drive cutover", settings.admin());
            return new AdminAuth(Optional.empty());
        }
        return new AdminAuth(Optional.of(configured.token().orElseGet(() -> loadOrCreate(settings.stateDir()))));
    }

    /** The token in {@code stateDir}, made there first if there is none. */
    static String loadOrCreate(Path stateDir) {
        Path file = stateDir.resolve(FILE);
        try {
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                create(stateDir, file);
            }
            return readChecked(file);
        } catch (IOException | UnsupportedOperationException e) {
            throw new StartupFailure("cannot make or read the admin token " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes a new token to a file of its own (0600 as it is created) and links it in place:
     * should another process do the same at once, one wins and both use its token.
     */
    private static void create(Path stateDir, Path file) throws IOException {
        Files.createDirectories(stateDir);
        byte[] random = new byte[32];
        RANDOM.nextBytes(random);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        byte[] suffix = new byte[6];
        RANDOM.nextBytes(suffix);
        Path temp = stateDir.resolve(FILE + "." + ProcessHandle.current().pid() + "." + HexFormat.of().formatHex(suffix));
        try {
            try (FileChannel ch = FileChannel.open(temp, EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(OWNER_ONLY))) {
                ByteBuffer bytes = ByteBuffer.wrap((token + "\n").getBytes(StandardCharsets.US_ASCII));
                while (bytes.hasRemaining()) {
                    ch.write(bytes);
                }
                ch.force(true);
            }
            try {
                Files.createLink(file, temp);
                log().info("made an admin token in {} (the cutover command of this user reads it from there)", file);
            } catch (FileAlreadyExistsException e) {
                // another cutover made one first: that one it is
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Reads the token file, refusing one that others could read or that is not this user's. */
    private static String readChecked(Path file) throws IOException {
        PosixFileAttributes a = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.isRegularFile()) {
            throw new StartupFailure("the admin token " + file + " is not a regular file; remove it, and cutover "
                    + "makes a new one");
        }
        Object owner = Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        Object self = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        if (!owner.equals(self)) {
            throw new StartupFailure("the admin token " + file + " belongs to " + a.owner().getName()
                    + ", not to the user cutover runs as (uid " + self + "); fix its owner or remove it");
        }
        Set<PosixFilePermission> loose = EnumSet.noneOf(PosixFilePermission.class);
        loose.addAll(a.permissions());
        loose.removeAll(OWNER_ONLY);
        loose.remove(PosixFilePermission.OWNER_EXECUTE);
        if (!loose.isEmpty()) {
            throw new StartupFailure("the admin token " + file + " has mode " + PosixFilePermissions.toString(a.permissions())
                    + ": other users could read it; chmod 600 it (and make a new one if it was exposed)");
        }
        String token = Files.readString(file, StandardCharsets.US_ASCII).trim();
        if (token.length() < 16 || !token.chars().allMatch(ch -> ch > 0x20 && ch < 0x7f)) {
            throw new StartupFailure("the admin token " + file + " holds no usable token (16 or more printable "
                    + "characters); remove it, and cutover makes a new one");
        }
        return token;
    }

    /**
     * The token in {@code stateDir}, for the {@code cutover} command: empty if there is no token
     * file (the admin API has a configured token, or none).
     *
     * @throws IOException if it exists but cannot be read (another user's)
     */
    public static Optional<String> read(Path stateDir) throws IOException {
        Path file = stateDir.resolve(FILE);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String token = Files.readString(file, StandardCharsets.US_ASCII).trim();
        return token.isEmpty() ? Optional.empty() : Optional.of(token);
    }
}
