package io.cutover.control.deploy.runtime;

import io.cutover.control.deploy.runtime.Colour;
import io.cutover.control.deploy.runtime.DockerRuntime;
import io.cutover.control.deploy.runtime.Instance;
import io.cutover.control.deploy.runtime.Owner;
import io.cutover.control.deploy.runtime.Release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.HostConfig;
import io.cutover.control.config.AppSettings;
import io.cutover.control.config.ConfigLoader;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * A container belongs to the cutover whose state directory started it: on a real engine (built
 * here FROM scratch with a static busybox), two cutovers' runtimes of apps with the same name.
 * Without a Docker engine this test fails; it never skips.
 */
class DockerRuntimeOwnerTest {
    private static final String IMAGE = "cutover-test/owner:v1";

    @TempDir
    Path dir;

    private final String name = "owner" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
    private final DockerClient docker = DockerClientFactory.instance().client();

    @AfterEach
    void removeAll() {
        for (Container c : named()) {
            docker.removeContainerCmd(c.getId()).withForce(true).exec();
        }
    }

    @Test
    void theSweepRemovesOnlyThisStatesContainersAndNeverRenamesAnotherCutoversOne() {
        new ImageFromDockerfile(IMAGE, false)
                .withFileFromPath("busybox", Path.of("/bin/busybox"))
                .withDockerfileFromBuilder(b -> b.from("scratch")
                        .copy("busybox", "/bin/busybox")
                        .cmd("/bin/busybox", "sleep", "600")
                        .build())
                .get();
        DockerRuntime theirs = runtime(dir.resolve("theirs"));
        DockerRuntime mine = runtime(dir.resolve("mine"));
        Instance other = theirs.start(sleeper(), Colour.BLUE, 1, "theirs-active");
        // the other cutover's container holds the name NAME-blue: this one's takes another name, and
        // the other's keeps its own
        Instance active = mine.start(sleeper(), Colour.BLUE, 2, "mine-active");
        assertEquals("/" + name + "-blue", docker.inspectContainerCmd(other.handle()).exec().getName());
        assertEquals("/" + name + "-blue-" + Owner.of(dir.resolve("mine")),
                docker.inspectContainerCmd(active.handle()).exec().getName());
        Instance leftover = mine.start(sleeper(), Colour.GREEN, 3, "mine-leftover");
        Instance oldPrevious = untagged("old-previous");     // an older cutover's, named by this state
        Instance oldCandidate = untagged("old-candidate");   // idem: an interrupted deploy's
        Instance stray = untagged("stray");                  // named by no state here

        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(logs);
        List<String> removed;
        try {
            removed = mine.removeAllExcept(List.of(active, oldPrevious), List.of(active, oldPrevious, oldCandidate));
            assertEquals(List.of(), mine.removeAllExcept(List.of(active, oldPrevious),
                    List.of(active, oldPrevious, oldCandidate)), "nothing more to remove");
        } finally {
            root.detachAppender(logs);
        }

        assertEquals(2, removed.size(), removed.toString());
        assertTrue(removed.stream().anyMatch(r -> r.contains("deploy mine-leftover")), removed.toString());
        assertTrue(removed.stream().anyMatch(r -> r.contains("deploy old-candidate")), removed.toString());
        assertFalse(exists(leftover));
        assertFalse(exists(oldCandidate));
        assertEquals(Optional.empty(), mine.notRunning(active));
        assertEquals(Optional.empty(), mine.notRunning(oldPrevious), "the state's untagged version stays");
        assertEquals(Optional.empty(), theirs.notRunning(other), "another cutover's version is never touched");
        assertEquals(Optional.empty(), mine.notRunning(stray), "an untagged one the state does not name is left alone");

        List<String> told = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertEquals(1, told.stream().filter(m -> m.contains("deploy stray")).count(),
                "the untagged stray is named once, for the user to remove: " + told);
        assertFalse(told.stream().anyMatch(m -> m.contains("theirs-active")), "nothing said of another's: " + told);

        List<String> theirsRemoved = theirs.removeAllExcept(List.of());
        assertEquals(1, theirsRemoved.size(), theirsRemoved.toString());
        assertTrue(theirsRemoved.get(0).contains("deploy theirs-active"), theirsRemoved.toString());
        assertEquals(Optional.empty(), mine.notRunning(active));
    }

    private DockerRuntime runtime(Path stateDir) {
        AppSettings app = ConfigLoader.load(Optional.empty(), Map.of("cutover.app.name", name,
                "cutover.app.runtime", "docker", "cutover.app.network", "host", "cutover.app.pull", "never",
                "cutover.app.stop-timeout", "1s", "cutover.state-dir", stateDir.toString())).app().orElseThrow();
        return new DockerRuntime(app, docker);
    }

    private static Release sleeper() {
        return new Release(IMAGE, List.of(), Map.of());
    }

    /** A container as a cutover before owner tags started it: the app's labels, no owner. */
    private Instance untagged(String deployId) {
        String id = docker.createContainerCmd(IMAGE)
                .withName(name + "-" + deployId)
                .withLabels(Map.of("io.cutover.app", name, "io.cutover.colour", "green",
                        "io.cutover.image", IMAGE, "io.cutover.deploy-id", deployId))
                .withHostConfig(HostConfig.newHostConfig().withInit(true).withNetworkMode("host"))
                .exec().getId();
        docker.startContainerCmd(id).exec();
        return new Instance(Colour.GREEN, 4, sleeper(), deployId, id, Instant.now());
    }

    private boolean exists(Instance i) {
        try {
            docker.inspectContainerCmd(i.handle()).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    private List<Container> named() {
        return docker.listContainersCmd().withShowAll(true).withLabelFilter(Map.of("io.cutover.app", name)).exec();
    }
}
