package io.cutover.control.deploy.state;

import io.cutover.control.deploy.runtime.Colour;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.runtime.Release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.cutover.control.admin.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateKeeperTest {
    @TempDir
    Path dir;

    private final List<Duration> pauses = new ArrayList<>();

    private static Instance version(String name) {
        return new Instance(Colour.BLUE, 8081, new Release(name, List.of(), null), name, "h-" + name, Instant.EPOCH);
    }

    /** A store whose first {@code failures} saves fail as a full disk would. */
    private StateStore failing(int failures) {
        AtomicInteger left = new AtomicInteger(failures);
        return new StateStore(dir.resolve("shop.json"), "shop", List.of(8081, 8082), Json.mapper(), (tmp, file) -> {
            if (left.getAndDecrement() > 0) {
                throw new IOException("No space left on device");
            }
            java.nio.file.Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        });
    }

    @Test
    void aSaveTheDiskRefusesIsTriedAgainAndThenHoldsOnDiskAndInMemory() {
        StateKeeper keeper = new StateKeeper(failing(StateKeeper.SAVE_ATTEMPTS - 1), pauses::add);
        AppState next = new AppState(version("v2"), version("v1"), null);
        keeper.record(next);
        assertEquals(next, keeper.current());
        assertEquals(next, new StateStore(dir.resolve("shop.json"), "shop", List.of(8081, 8082), Json.mapper()).load());
        assertEquals(StateKeeper.SAVE_ATTEMPTS - 1, pauses.size(), "paused before each new attempt");
    }

    @Test
    void whenEveryAttemptFailsTheCallerIsToldAndTheStateInMemoryIsUnchanged() {
        StateKeeper keeper = new StateKeeper(failing(Integer.MAX_VALUE), pauses::add);
        AppState next = new AppState(version("v2"), null, null);
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> keeper.record(next));
        assertEquals(true, e.getMessage().contains("No space left on device"), e.getMessage());
        assertEquals(AppState.EMPTY, keeper.current(), "memory never says what the disk does not hold");
    }
}
