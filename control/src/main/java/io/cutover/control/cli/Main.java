package io.cutover.control.cli;

import io.cutover.control.boot.StartupFailure;
import io.cutover.control.config.ConfigError;
import io.cutover.control.takeover.TakeoverFailure;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code cutover}: the proxy ({@code serve}) and the commands that steer a running one. */
@Command(name = "cutover", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A reverse proxy for zero-downtime deploys: switch traffic between app versions "
                + "with no reload, no failed request, and every in-flight request finished.",
        subcommands = {ServeCommand.class, DeployCommand.class, RollbackCommand.class, SwitchCommand.class,
                MaintenanceCommand.class, PauseCommand.class, ResumeCommand.class, CanaryCommand.class,
                ReloadCommand.class, ReopenLogsCommand.class, UpgradeCommand.class, DemoCommand.class,
                StatusCommand.class, HistoryCommand.class, RolloutCommand.class, LbCommand.class},
        synopsisSubcommandLabel = "COMMAND")
public final class Main {

    public static void main(String[] args) {
        // leak detection samples buffers at a cost; tests run it at paranoid, production without
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs a command line and returns its exit code (tests call this directly). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parsed) -> {
            if (e instanceof ConfigError || e instanceof CliFailure || e instanceof StartupFailure) {
                commandLine.getErr().println("cutover: " + e.getMessage());
                return 1;
            }
            if (e instanceof TakeoverFailure) {
                commandLine.getErr().println("cutover: takeover failed: "
                        + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cli.execute(args);
    }

    /** A command that failed in a way the user can act on; printed without a stack trace. */
    static final class CliFailure extends RuntimeException {
        CliFailure(String message) {
            super(message);
        }
    }

    /** {@code cutover --version}: the version the jar was built as (its manifest), or "development" from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"cutover " + (v == null ? "(development build)" : v)};
        }
    }
}
