package io.cutover.control.compose;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.cutover.control.deploy.runtime.AppRuntime.RuntimeFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The compose implementation installed here, which reads compose files: the v2 plugin
 * ({@code docker compose}, whose {@code config --format json} prints the normalised model) if
 * it answers, else v1 ({@code docker-compose}, Debian's 1.29, whose {@code config} prints it as
 * YAML). Each run blocks (for at most {@link #TIMEOUT}): deploy threads only.
 */
public final class ComposeCli {
    /** How long one run of the compose CLI may take. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final YAMLMapper YAML = new YAMLMapper();

    private final List<String> docker;
    private final List<String> dockerCompose;

    public ComposeCli() {
        this(List.of("docker"), List.of("docker-compose"));
    }

    /** @param docker the docker CLI, {@code dockerCompose} the v1 CLI (tests name others, or none) */
    ComposeCli(List<String> docker, List<String> dockerCompose) {
        this.docker = List.copyOf(docker);
        this.dockerCompose = List.copyOf(dockerCompose);
    }

    /**
     * The normalised model of {@code file}, as the installed compose CLI reads it.
     *
     * @param service the service wanted (v2 is given it, which enables it whatever its profiles)
     * @param project the project's name, or null (the CLI's own)
     */
    public JsonNode config(Path file, String service, String project) {
        if (!Files.isReadable(file)) {
            throw new RuntimeFailure("compose file " + file + " cannot be read");
        }
        Path dir = file.toAbsolutePath().getParent();
        Run v2 = run(with(docker, "compose", "version"), dir);
        if (v2 != null && v2.code == 0) {
            List<String> cmd = with(docker, "compose", "-f", file.toString());
            addProject(cmd, project);
            cmd.addAll(List.of("config", "--format", "json", service));
            return parse(JSON, checked(run(cmd, dir), cmd), cmd);
        }
        Run v1 = run(with(dockerCompose, "version"), dir);
        if (v1 == null || v1.code != 0) {
            throw new RuntimeFailure("no compose CLI is installed here (neither `docker compose` nor `docker-compose` "
                    + "answers): install the compose plugin, or docker-compose, to deploy a service of a compose file");
        }
        List<String> cmd = with(dockerCompose, "-f", file.toString());
        addProject(cmd, project);
        cmd.add("config");
        return parse(YAML, checked(run(cmd, dir), cmd), cmd);
    }

    private static void addProject(List<String> cmd, String project) {
        if (project != null && !project.isBlank()) {
            cmd.addAll(List.of("-p", project.trim()));
        }
    }

    private static List<String> with(List<String> base, String... args) {
        List<String> cmd = new ArrayList<>(base);
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static String checked(Run r, List<String> cmd) {
        if (r == null) {
            throw new RuntimeFailure("cannot run " + String.join(" ", cmd));
        }
        if (r.code != 0) {
            throw new RuntimeFailure(String.join(" ", cmd) + " failed (exit code " + r.code + "): " + r.err.strip());
        }
        return r.out;
    }

    private static JsonNode parse(ObjectMapper mapper, String text, List<String> cmd) {
        try {
            return mapper.readTree(text);
        } catch (IOException e) {
            throw new RuntimeFailure("cannot read what " + String.join(" ", cmd) + " printed: " + e.getMessage(), e);
        }
    }

    private record Run(int code, String out, String err) {
    }

    /** Runs {@code cmd} in {@code dir}, its output in temporary files; null if it cannot be started. */
    private static Run run(List<String> cmd, Path dir) {
        Path out = null;
        Path err = null;
        Process p = null;
        try {
            out = Files.createTempFile("cutover-compose", ".out");
            err = Files.createTempFile("cutover-compose", ".err");
            ProcessBuilder builder = new ProcessBuilder(cmd).directory(dir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            // the compose CLI interpolates the file with this environment: it gets cutover's, never its token
            builder.environment().remove("CUTOVER_ADMIN_TOKEN");
            p = builder.start();
            if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new RuntimeFailure(String.join(" ", cmd) + " did not finish within " + TIMEOUT.toSeconds() + " s");
            }
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            if (p != null) {
                p.destroyForcibly();
            }
            Thread.currentThread().interrupt();
            throw new RuntimeFailure("interrupted while running " + String.join(" ", cmd));
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            if (p != null) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a temporary file
        }
    }
}
