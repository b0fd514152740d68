package io.cutover.control.deploy.runtime;

import io.cutover.control.deploy.runtime.Colour;
import io.cutover.control.deploy.runtime.DockerRuntime;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.runtime.Owner;
import io.cutover.control.deploy.runtime.Release;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.github.dockerjava.api.DockerClient;
import io.cutover.control.config.AppSettings;
import io.cutover.control.config.ConfigLoader;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * A container's environment holds only what the image, the app's config, the deploy and PORT
 * give: nothing of cutover's. On a real engine, built here FROM scratch with a static busybox;
 * without a Docker engine this test fails, it never skips.
 */
class DockerRuntimeEnvironmentTest {
    private static final String IMAGE = "cutover-test/env:v1";

    @TempDir
    Path dir;

    @Test
    void aContainersEnvironmentIsTheImagesTheAppsTheDeploysAndPortOnly() {
        DockerClient docker = DockerClientFactory.instance().client();
        new ImageFromDockerfile(IMAGE, false)
                .withFileFromPath("busybox", Path.of("/bin/busybox"))
                .withDockerfileFromBuilder(b -> b.from("scratch")
                        .copy("busybox", "/bin/busybox")
                        .cmd("/bin/busybox", "sleep", "60")
                        .build())
                .get();
        AppSettings app = ConfigLoader.load(Optional.empty(), Map.of("cutover.app.name", "envtest-docker",
                "cutover.app.runtime", "docker", "cutover.app.network", "host", "cutover.app.pull", "never",
                "cutover.app.stop-timeout", "1s", "cutover.state-dir", dir.toString(),
                "cutover.app.env.FROM_APP", "a")).app().orElseThrow();
        DockerRuntime runtime = new DockerRuntime(app, docker);
        Instance i = runtime.start(new Release(IMAGE, List.of(), Map.of("FROM_DEPLOY", "d")), Colour.BLUE, 4321, "d1");
        try {
            Set<String> imageEnv = set(docker.inspectImageCmd(IMAGE).exec().getConfig().getEnv());
            Set<String> env = set(docker.inspectContainerCmd(i.handle()).exec().getConfig().getEnv());
            env.removeAll(imageEnv);
            assertEquals(new TreeSet<>(Set.of("FROM_APP=a", "FROM_DEPLOY=d", "PORT=4321", "CUTOVER_REPLICA=1")), env);
            assertEquals(Owner.of(dir), docker.inspectContainerCmd(i.handle()).exec().getConfig().getLabels()
                    .get("io.cutover.owner"), "labelled with its owner, not in its environment");
        } finally {
            runtime.remove(i);
        }
    }

    private static Set<String> set(String[] env) {
        return env == null ? new TreeSet<>() : Arrays.stream(env).collect(Collectors.toCollection(TreeSet::new));
    }
}
