package io.cutover.control.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.boot.StartupFailure;
import io.cutover.control.config.ConfigLoader;
import io.cutover.control.config.Settings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin token file in a state directory of the test's own (no sockets). */
class AdminTokenTest {
    @TempDir
    Path state;

    private Path file() {
        return state.resolve(AdminToken.FILE);
    }

    private void write(String token, String mode) throws Exception {
        Files.writeString(file(), token);
        Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString(mode));
    }

    private String refusal() {
        return assertThrows(StartupFailure.class, () -> AdminToken.loadOrCreate(state)).getMessage();
    }

    @Test
    void aFirstStartMakesARandomTokenReadableOnlyByItsOwnerAndLaterStartsUseItAgain() throws Exception {
        Path dir = state.resolve("new/state");
        String token = AdminToken.loadOrCreate(dir);
        assertTrue(token.matches("[A-Za-z0-9_-]{43}"), "32 random bytes, base64url: " + token);
        Path file = dir.resolve(AdminToken.FILE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(token + "\n", Files.readString(file));
        assertEquals(token, AdminToken.loadOrCreate(dir), "the same token at every start");
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file left beside it");
        }
        assertEquals(Optional.of(token), AdminToken.read(dir), "the cutover command reads it");
        assertTrue(AdminToken.auth(settings(dir, Optional.empty())).allows("Bearer " + token));
        assertFalse(AdminToken.auth(settings(dir, Optional.empty())).allows("Bearer x" + token));
    }

    @Test
    void twoStateDirectoriesGetTwoDifferentTokens() {
        assertFalse(AdminToken.loadOrCreate(state.resolve("a")).equals(AdminToken.loadOrCreate(state.resolve("b"))));
    }

    @Test
    void aConfiguredTokenIsUsedAndNoFileIsMade() {
        AdminAuth configured = AdminToken.auth(settings(state, Optional.of("a-configured-token-of-some-length")));
        assertTrue(configured.allows("Bearer a-configured-token-of-some-length"));
        assertFalse(configured.allows(null));
        assertFalse(Files.exists(file()), "no token file for a configured token");
    }

    @Test
    void aTokenFileThatOthersCouldReadIsRefusedAndItsTokenNotUsed() throws Exception {
        write("a-token-of-twenty-chars", "rw-r-----");
        String message = refusal();
        assertTrue(message.contains("has mode rw-r-----: other users could read it; chmod 600 it"), message);
        assertFalse(message.contains("a-token-of-twenty-chars"), "the message never holds the token");
        write("a-token-of-twenty-chars", "rw-----w-");
        assertTrue(refusal().contains("other users could read it"));
    }

    @Test
    void aTokenFileOfModeSixHundredOrSevenHundredIsUsedTrimmed() throws Exception {
        write("  a-token-of-twenty-chars \n", "rw-------");
        assertEquals("a-token-of-twenty-chars", AdminToken.loadOrCreate(state));
        write("a-token-of-twenty-chars", "rwx------");
        assertEquals("a-token-of-twenty-chars", AdminToken.loadOrCreate(state), "its owner's execute bit is harmless");
        write("a-token-of-twenty-chars", "r--------");
        assertEquals("a-token-of-twenty-chars", AdminToken.loadOrCreate(state));
    }

    @Test
    void aTokenOfFewerThanSixteenPrintableCharactersIsRefused() throws Exception {
        write("0123456789abcdef", "rw-------");
        assertEquals("0123456789abcdef", AdminToken.loadOrCreate(state), "sixteen is enough");
        for (String bad : new String[] {"0123456789abcde", "", "0123456789 abcdef", "0123456789\tabcdef",
                "0123456789\u007fabcdef"}) {
            write(bad, "rw-------");
            assertTrue(refusal().contains("holds no usable token (16 or more printable characters)"), bad);
        }
        write("!0123456789abcdef~", "rw-------");
        assertEquals("!0123456789abcdef~", AdminToken.loadOrCreate(state), "'!' and '~' are printable");
    }

    @Test
    void aTokenPathThatIsNotARegularFileIsRefused() throws Exception {
        Files.createDirectory(file());
        assertTrue(refusal().contains("is not a regular file; remove it"));
        Files.delete(file());
        Files.createSymbolicLink(file(), state.resolve("elsewhere"));
        Files.writeString(state.resolve("elsewhere"), "a-token-of-twenty-chars");
        assertTrue(refusal().contains("is not a regular file"), "a link is not followed");
    }

    @Test
    void aTokenFileOfAnotherUserIsRefused() throws Exception {
        write("a-token-of-twenty-chars", "rw-------");
        int self = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        Files.setAttribute(file(), "unix:uid", self + 1);
        assertTrue(refusal().contains("not to the user cutover runs as (uid " + self + ")"));
    }

    @Test
    void theCommandReadsNoTokenWhereThereIsNoFileOrAnEmptyOne() throws Exception {
        assertEquals(Optional.empty(), AdminToken.read(state));
        Files.writeString(file(), " \n");
        assertEquals(Optional.empty(), AdminToken.read(state));
        Files.writeString(file(), " t0ken \n");
        assertEquals(Optional.of("t0ken"), AdminToken.read(state));
    }

    private static Settings settings(Path state, Optional<String> token) {
        Map<String, Object> s = new java.util.HashMap<>(Map.of("cutover.state-dir", state.toString(),
                "cutover.target", "127.0.0.1:1"));
        token.ifPresent(t -> s.put("cutover.admin-token", t));
        return ConfigLoader.load(Optional.empty(), s);
    }

    @Test
    void noTokenFileIsReadByTheCommandWhenTheTokenIsConfigured() throws Exception {
        AdminToken.auth(settings(state, Optional.of("a-configured-token-of-some-length")));
        assertNull(AdminToken.read(state).orElse(null));
    }
}
