package io.cutover.control.canary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.cutover.proxy.CanaryCookie;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CanaryKeyTest {

    @Test
    void anAppsKeyIsMadeOnceReadableOnlyByItsOwnerAndKept(@TempDir Path state) throws Exception {
        Path file = CanaryKey.file(state.resolve("shop.json"), "shop");
        assertEquals(state.resolve("shop.canary-key"), file);
        byte[] key = CanaryKey.load(file);
        assertEquals(CanaryCookie.KEY_BYTES, key.length);
        assertFalse(Arrays.equals(new byte[CanaryCookie.KEY_BYTES], key), "random, not zeros");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertArrayEquals(key, CanaryKey.load(file), "the same key next time: cookies stay valid");
        assertFalse(Arrays.equals(key, CanaryKey.load(CanaryKey.file(state.resolve("shop.json"), "blog"))),
                "each app has its own");
    }

    @Test
    void aKeyFileThatIsNotAKeyIsReplaced(@TempDir Path state) throws Exception {
        Path file = state.resolve("shop.canary-key");
        Files.writeString(file, "short");
        assertEquals(CanaryCookie.KEY_BYTES, CanaryKey.load(file).length);
        assertEquals(CanaryCookie.KEY_BYTES, Files.size(file));
    }
}
