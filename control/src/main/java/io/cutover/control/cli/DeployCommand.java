package io.cutover.control.cli;

import io.cutover.control.admin.ApiModel.DeploymentView;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code cutover deploy IMAGE} or {@code cutover deploy --command -- WORD...}. */
@Command(name = "deploy", mixinStandardHelpOptions = true,
        description = {"Deploy a new version: start it on the free colour, wait until it is healthy, switch "
                + "traffic to it, drain the old version and stop it. Prints each step; exits 0 on success.",
                "Docker apps: cutover deploy IMAGE. Process apps: cutover deploy --command -- java -jar app.jar"})
final class DeployCommand implements Callable<Integer> {
    @Mixin
    DeployOptions deploy;

    @Mixin
    AdminOption admin;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        AdminClient client = admin.client();
        DeploymentView accepted = client.post("/v1/deploy", deploy.request(), DeploymentView.class, "deploy refused");
        return DeploymentFollower.follow(client, accepted, spec.commandLine().getOut());
    }
}
