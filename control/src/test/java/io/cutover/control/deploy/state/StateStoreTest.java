package io.cutover.control.deploy.state;

import io.cutover.control.deploy.runtime.Colour;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.runtime.Release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cutover.control.admin.Json;
import io.cutover.control.boot.StartupFailure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {
    @TempDir
    Path dir;

    private static final List<Integer> PORTS = List.of(8081, 8082);

    private static Instance version(String name, Colour colour) {
        return new Instance(colour, colour == Colour.BLUE ? 8081 : 8082,
                new Release(null, List.of("run", name), Map.of()), name, "4242", Instant.parse("2026-11-25T10:00:00Z"));
    }

    private StateStore store(String app) {
        return new StateStore(dir.resolve(app + ".json"), app, PORTS, Json.mapper());
    }

    @Test
    void whatIsSavedIsLoadedBack() {
        AppState state = new AppState(version("v2", Colour.GREEN), version("v1", Colour.BLUE), null);
        store("shop").save(state);
        assertEquals(state, store("shop").load());
    }

    @Test
    void aReleaseOfAComposeServiceIsLoadedBackWithItsService() {
        Instance compose = new Instance(Colour.GREEN, 8082, new Release("shop:v2", List.of(), Map.of(), null,
                new Release.Compose("/srv/shop/docker-compose.yml", "app", null)), "d2", "c0ffee",
                Instant.parse("2026-11-25T10:00:00Z"));
        AppState state = new AppState(compose, version("v1", Colour.BLUE), null);
        store("shop").save(state);
        assertEquals(state, store("shop").load(), "a rollback or a restore runs the same service again");
    }

    @Test
    void aStateFileWrittenBeforeReplicasLoadsAsVersionsOfOneReplica() throws IOException {
        Path file = dir.resolve("shop.json");
        Files.writeString(file, """
                {"format": 1, "app": "shop", "ports": [8081, 8082],
                 "active": {"colour": "GREEN", "port": 8082, "release": {"image": "shop:v2", "command": [], "env": {}},
                            "deployId": "0000beef", "handle": "4242", "startedAt": "2026-01-01T00:00:00Z"},
                 "previous": {"colour": "BLUE", "port": 8081, "release": {"image": "shop:v1", "command": [], "env": {}},
                              "deployId": "0000abcd", "handle": "4141", "startedAt": "2026-01-01T00:00:00Z"}}
                """, StandardCharsets.UTF_8);
        AppState s = new StateStore(file, "shop", PORTS, Json.mapper()).load();
        assertEquals(1, s.active().count());
        assertEquals(List.of(new Instance.Replica(8082, "4242", Instant.parse("2026-01-01T00:00:00Z"))),
                s.active().replicas());
        assertEquals("127.0.0.1:8082", s.active().target().toString());
        assertEquals(List.of(8081), s.previous().replicas().stream().map(Instance.Replica::port).toList());
    }

    @Test
    void aVersionOfSeveralReplicasIsSavedAndLoadedBackWithEachReplica() {
        Instant at = Instant.parse("2026-01-01T00:00:00Z");
        Instance three = Instance.of(Colour.BLUE, new Release("shop:v3", null, Map.of()), "0000cafe", List.of(
                new Instance.Replica(8081, "c1", at), new Instance.Replica(8083, "c2", at),
                new Instance.Replica(8085, "c3", at)));
        StateStore store = store("shop");
        store.save(new AppState(three, null, null));
        Instance loaded = store.load().active();
        assertEquals(three, loaded);
        assertEquals(List.of("127.0.0.1:8081", "127.0.0.1:8083", "127.0.0.1:8085"),
                loaded.targets().stream().map(Object::toString).toList());
    }

    @Test
    void noFileMeansNoVersionYet() {
        assertEquals(AppState.EMPTY, store("shop").load());
    }

    @Test
    void theStateFileOfAnotherAppIsRefusedNamingBothAppsAndTheFile() throws IOException {
        store("alpha").save(new AppState(version("v1", Colour.BLUE), null, null));
        Path alphas = dir.resolve("alpha.json");
        StateStore beta = new StateStore(alphas, "beta", PORTS, Json.mapper());
        String before = Files.readString(alphas);
        StartupFailure refused = assertThrows(StartupFailure.class, beta::load);
        assertTrue(refused.getMessage().contains("'alpha'") && refused.getMessage().contains("'beta'")
                && refused.getMessage().contains(alphas.toString()), refused.getMessage());
        assertEquals(before, Files.readString(alphas), "left as it was");
    }

    @Test
    void aTruncatedStateFileStopsStartUpAndIsKeptAsItIs() throws IOException {
        store("shop").save(new AppState(version("v1", Colour.BLUE), null, null));
        Path file = dir.resolve("shop.json");
        String whole = Files.readString(file);
        String truncated = whole.substring(0, whole.length() / 2);
        Files.writeString(file, truncated);
        StartupFailure refused = assertThrows(StartupFailure.class, store("shop")::load);
        assertTrue(refused.getMessage().contains(file.toString()) && refused.getMessage().contains("cannot be read"),
                refused.getMessage());
        assertEquals(truncated, Files.readString(file), "never overwritten");
    }

    @Test
    void anEmptyStateFileStopsStartUp() throws IOException {
        Files.writeString(dir.resolve("shop.json"), "");
        assertThrows(StartupFailure.class, store("shop")::load);
    }

    @Test
    void aCrashBetweenWritingAndRenamingLeavesThePreviousStateIntact() throws IOException {
        AppState before = new AppState(version("v1", Colour.BLUE), null, null);
        store("shop").save(before);
        StateStore crashing = new StateStore(dir.resolve("shop.json"), "shop", PORTS, Json.mapper(), (tmp, file) -> {
            throw new IOException("power cut before the rename");
        });
        assertThrows(UncheckedIOException.class,
                () -> crashing.save(new AppState(version("v2", Colour.GREEN), version("v1", Colour.BLUE), null)));
        assertEquals(before, store("shop").load());
    }

    @Test
    void aTempFileLeftByACrashIsNeverTakenForTheStateAndIsCleanedUp() throws IOException {
        AppState before = new AppState(version("v1", Colour.BLUE), null, null);
        store("shop").save(before);
        Path leftover = dir.resolve("shop.json12345.tmp");
        Files.writeString(leftover, "{\"app\": \"shop\", \"active\": nul", StandardCharsets.UTF_8);
        assertEquals(before, store("shop").load());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(dir.resolve("shop.json")), files.toList());
        }
    }

    @Test
    void fieldsFromANewerVersionAreIgnored() throws IOException {
        AppState before = new AppState(version("v1", Colour.BLUE), null, null);
        store("shop").save(before);
        Path file = dir.resolve("shop.json");
        Files.writeString(file, Files.readString(file).replaceFirst("\\{", "{\"canary\": {\"percent\": 10},"));
        assertEquals(before, store("shop").load());
    }
}
