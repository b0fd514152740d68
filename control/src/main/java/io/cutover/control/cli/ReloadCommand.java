package io.cutover.control.cli;

import io.cutover.control.app.Reload;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code cutover reload}: the same as sending SIGHUP to {@code cutover serve}. */
@Command(name = "reload", mixinStandardHelpOptions = true,
        description = "Read the config file again and add, change or remove apps. An invalid config changes nothing "
                + "and says why. Apps that stay keep serving what they serve (a changed target in the file is where "
                + "the app starts next time, not a switch); a removed app's requests finish.")
final class ReloadCommand implements Callable<Integer> {
    @Mixin
    AdminOption admin;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Reload.Outcome o = admin.client().post("/v1/reload", java.util.Map.of(), Reload.Outcome.class, "reload refused");
        spec.commandLine().getOut().printf("reloaded: added %s, changed %s, removed %s, unchanged %s%n",
                list(o.added()), list(o.changed()), list(o.removed()), list(o.unchanged()));
        o.notes().forEach(spec.commandLine().getOut()::println);
        return 0;
    }

    private static String list(java.util.List<String> names) {
        return names.isEmpty() ? "none" : String.join(", ", names);
    }
}
