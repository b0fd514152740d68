package io.cutover.control.compose;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.cutover.control.deploy.runtime.AppRuntime.RuntimeFailure;
import io.cutover.control.deploy.runtime.ContainerSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compose CLI installed here (bin/test installs Debian's docker-compose 1.29; the v2 plugin
 * is used first where it answers) reads the file: interpolation and env files are its work. No
 * engine is needed.
 */
class ComposeCliTest {
    @TempDir
    Path dir;

    @Test
    void theInstalledComposeCliNormalisesTheFile() throws Exception {
        Path project = Files.createDirectories(dir.resolve("My Shop"));
        Files.writeString(project.resolve("app.env"), "FROM_ENV_FILE=yes\n");
        Files.writeString(project.resolve(".env"), "TAG=v7\n");
        Path file = Files.writeString(project.resolve("docker-compose.yml"), """
                services:
                  app:
                    image: "shop:${TAG:-v1}"
                    env_file: [app.env]
                    environment:
                      GREETING: "hello ${TAG}"
                    volumes: ["./data:/data:ro"]
                    profiles: [cutover]
                  redis:
                    image: red:1
                """);
        JsonNode model = new ComposeCli().config(file, "app", null);
        ComposeModel m = new ComposeModel(model, file.toString(), null);
        ContainerSpec s = m.spec("app", "", 0, 8080, new ArrayList<>());
        assertEquals("shop:v7", s.image(), "interpolated from .env by the CLI");
        assertEquals(Map.of("FROM_ENV_FILE", "yes", "GREETING", "hello v7"), s.env());
        assertEquals(List.of(project.resolve("data") + ":/data:ro"), s.binds(), "a relative bind made absolute by the CLI");
        assertEquals("myshop", m.project(), "the project compose v1 names after the directory");
        assertEquals("myshop_default", s.networks().get(0).name());
    }

    @Test
    void aFileTheCliRefusesIsItsMessage() throws Exception {
        Path file = Files.writeString(dir.resolve("docker-compose.yml"), "services:\n  app:\n    image: [oops\n");
        String m = assertThrows(RuntimeFailure.class, () -> new ComposeCli().config(file, "app", null)).getMessage();
        assertTrue(m.contains("config failed (exit code"), m);
    }

    @Test
    void withoutAComposeCliItSaysSoInOneLine() throws Exception {
        Path file = Files.writeString(dir.resolve("docker-compose.yml"), "services: {app: {image: 'shop:v1'}}\n");
        ComposeCli none = new ComposeCli(List.of(dir.resolve("no-docker").toString()),
                List.of(dir.resolve("no-docker-compose").toString()));
        String m = assertThrows(RuntimeFailure.class, () -> none.config(file, "app", null)).getMessage();
        assertEquals("no compose CLI is installed here (neither `docker compose` nor `docker-compose` answers): install "
                + "the compose plugin, or docker-compose, to deploy a service of a compose file", m);
    }
}
