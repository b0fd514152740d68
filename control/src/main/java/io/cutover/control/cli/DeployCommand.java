package io.cutover.control.cli;

import io.cutover.control.admin.ApiModel.DeploymentView;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cutover deploy IMAGE}, {@code cutover deploy --compose FILE --service NAME IMAGE_OR_TAG} or
 * {@code cutover deploy --command -- WORD...}.
 */
@Command(name = "deploy", mixinStandardHelpOptions = true,
        description = {"Deploy a new version: start it on the free colour, wait until it is healthy, switch "
                + "traffic to it, drain the old version and stop it. Prints each step; exits 0 on success.",
                "Docker apps: cutover deploy IMAGE. A service of a compose file: cutover deploy --compose "
                        + "docker-compose.yml --service app IMAGE_OR_TAG. Process apps: cutover deploy --command -- "
                        + "java -jar app.jar"})
final class DeployCommand implements Callable<Integer> {
    @Mixin
    DeployOptions deploy;

    @Option(names = "--compose", paramLabel = "FILE",
            description = "run a service of this compose file, as the file describes it, in its compose project "
                    + "(read on cutover's host; default: the app's compose.file)")
    java.nio.file.Path compose;

    @Option(names = "--service", paramLabel = "NAME",
            description = "the compose file's service to deploy (default: the app's compose.service)")
    String service;

    @Option(names = "--project", paramLabel = "NAME",
            description = "the compose project's name, as docker compose -p takes it (default: the app's "
                    + "compose.project, else the compose CLI's own)")
    String project;

    @Mixin
    AdminOption admin;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        // a relative file is this command's: cutover may run in another directory
        String file = compose == null ? null : compose.toAbsolutePath().normalize().toString();
        AdminClient client = admin.client();
        DeploymentView accepted = client.post("/v1/deploy", deploy.request(file, service, project),
                DeploymentView.class, "deploy refused");
        return DeploymentFollower.follow(client, accepted, spec.commandLine().getOut());
    }
}
