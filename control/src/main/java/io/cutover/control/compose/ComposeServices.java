package io.cutover.control.compose;

import io.cutover.control.deploy.runtime.ContainerSpec;
import io.cutover.control.deploy.runtime.Release;
import io.cutover.control.deploy.runtime.ServiceSpecs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Services of compose files, read afresh with the installed compose CLI for each release (the
 * compose file stays the app's one description): what {@link io.cutover.control.deploy.runtime.DockerRuntime}
 * runs for a release of a compose service.
 */
public final class ComposeServices implements ServiceSpecs {
    private static final Logger log = LoggerFactory.getLogger(ComposeServices.class);

    private final ComposeCli cli;
    private final int port;

    /** @param port the port the app listens on in its container (0: the service's one expose, else the app's container-port) */
    public ComposeServices(ComposeCli cli, int port) {
        this.cli = cli;
        this.port = port;
    }

    @Override
    public ContainerSpec spec(Release.Compose compose, String imageOrTag, int containerPort) {
        Path file = Path.of(compose.file());
        ComposeModel model = new ComposeModel(cli.config(file, compose.service(), compose.project()), file.toString(),
                compose.project());
        List<String> ignored = new ArrayList<>();
        ContainerSpec spec = model.spec(compose.service(), imageOrTag, port, containerPort, ignored);
        if (!ignored.isEmpty()) {
            log.warn("service '{}' of {} sets {}, which cutover does not apply to its colours' containers",
                    compose.service(), file, String.join(", ", ignored));
        }
        return spec;
    }
}
