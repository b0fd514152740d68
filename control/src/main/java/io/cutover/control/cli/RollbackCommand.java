package io.cutover.control.cli;

import io.cutover.control.admin.ApiModel.DeploymentView;
import io.cutover.control.admin.ApiModel.RollbackRequest;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cutover rollback}. */
@Command(name = "rollback", mixinStandardHelpOptions = true,
        description = "Bring the previous version back: start it if it was stopped, wait until it is healthy, "
                + "switch traffic to it, drain and stop the current one.")
final class RollbackCommand implements Callable<Integer> {
    @Option(names = "--no-wait-for-lock", description = "fail at once if a deploy is running")
    boolean noWait;

    @Mixin
    AdminOption admin;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        AdminClient client = admin.client();
        DeploymentView accepted = client.post("/v1/rollback", new RollbackRequest(!noWait), DeploymentView.class,
                "rollback refused");
        return DeploymentFollower.follow(client, accepted, spec.commandLine().getOut());
    }
}
