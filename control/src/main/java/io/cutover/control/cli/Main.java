package io.cutover.control.cli;

import io.cutover.control.boot.StartupFailure;
import io.cutover.control.config.ConfigError;
import io.cutover.control.takeover.TakeoverFailure;
import java.io.PrintWriter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/** {@code cutover}: the proxy ({@code serve}) and the commands that steer a running one. */
@Command(name = "cutover", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A reverse proxy for zero-downtime deploys: switch traffic between app versions "
                + "with no reload, no failed request, and every in-flight request finished.",
        synopsisSubcommandLabel = "COMMAND")
public final class Main {
    /**
     * The commands by name, in the order the help lists them. A command line that names one gets
     * only that one built (picocli reads every command's annotations when it is added, a fifth of
     * a short command's time); any other (help, a typo) gets them all.
     */
    static final Map<String, Class<?>> COMMANDS = commands(
            "serve", ServeCommand.class, "deploy", DeployCommand.class, "rollback", RollbackCommand.class,
            "switch", SwitchCommand.class, "maintenance", MaintenanceCommand.class, "pause", PauseCommand.class,
            "resume", ResumeCommand.class, "canary", CanaryCommand.class, "reload", ReloadCommand.class,
            "reopen-logs", ReopenLogsCommand.class, "upgrade", UpgradeCommand.class, "demo", DemoCommand.class,
            "status", StatusCommand.class, "history", HistoryCommand.class, "rollout", RolloutCommand.class,
            "lb", LbCommand.class);

    private static Map<String, Class<?>> commands(Object... nameThenClass) {
        Map<String, Class<?>> m = new LinkedHashMap<>();
        for (int i = 0; i < nameThenClass.length; i += 2) {
            m.put((String) nameThenClass[i], (Class<?>) nameThenClass[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }

    public static void main(String[] args) {
        nettyDefaults();
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /**
     * Netty's settings for a cutover process, unless the command line sets them: no leak detection
     * (it samples buffers at a cost; tests run it at paranoid), and no JFR events for its buffers.
     * Those events, registered when the first pooled buffer is made, cost a start 150 ms and 120
     * classes (JFR's own machinery), on the path of every upgrade; {@code
     * -Dio.netty.jfr.enabled=true} brings them back for a recording.
     */
    static void nettyDefaults() {
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        if (System.getProperty("io.netty.jfr.enabled") == null) {
            System.setProperty("io.netty.jfr.enabled", "false");
        }
    }

    /** Runs a command line and returns its exit code (tests call this directly). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        Class<?> named = args.length > 0 ? COMMANDS.get(args[0]) : null;
        if (named != null) {
            cli.addSubcommand(args[0], named);
        } else {
            for (Map.Entry<String, Class<?>> c : COMMANDS.entrySet()) {
                cli.addSubcommand(c.getKey(), c.getValue());
            }
        }
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler(new Failures());
        return cli.execute(args);
    }

    /**
     * Failures the user can act on, printed without a stack trace. A class, not a lambda: the
     * build's class-data archive cannot hold picocli's classes (Java 5 class files) once a lambda
     * for one of its interfaces has linked them, and then every command reads them from the jar.
     */
    private static final class Failures implements CommandLine.IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception e, CommandLine commandLine, CommandLine.ParseResult parsed)
                throws Exception {
            if (e instanceof ConfigError || e instanceof CliFailure || e instanceof StartupFailure) {
                commandLine.getErr().println("cutover: " + e.getMessage());
                return 1;
            }
            if (e instanceof TakeoverFailure) {
                commandLine.getErr().println("cutover: takeover failed: " + e.getMessage());
                return 1;
            }
            throw e;
        }
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
