package io.cohortflow.launcher;

import io.cohortflow.job.backfill.BackfillCommand;
import io.cohortflow.job.export.ExportCommand;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code cohortflow}, the command line of {@code launcher/run.sh}: with no command (or {@code run})
 * it starts the whole system; {@code backfill} runs a backfill; {@code export-members} writes the
 * members of segments from the job's state; {@code segments} is a client of a running service for
 * scripts. {@code --help} on each; exit codes 0 (done), 1 (failed), 2 (wrong arguments or
 * settings), 3 (the service could not be reached).
 */
@Command(
        name = "cohortflow",
        mixinStandardHelpOptions = true,
        versionProvider = Cohortflow.Version.class,
        description = {
            "Real-time audience segmentation. Without a command: starts the whole system in this"
                    + " process (the same as 'run').",
        },
        subcommands = {
            RunCommand.class,
            BackfillCommand.class,
            SegmentsCommand.class,
            UsersCommand.class,
            CommandLine.HelpCommand.class
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:done",
            "1:failed (the system could not start, the service refused)",
            "2:wrong arguments or settings",
            "3:the service could not be reached"
        })
public final class Cohortflow implements Callable<Integer> {

    @Parameters(
            arity = "0..1",
            paramLabel = "<cohortflow.properties>",
            description = "The settings file for 'run' (default: $COHORTFLOW_CONFIG, else none).")
    @Nullable Path config;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** The command line, ready to execute; tests give it their own output streams. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Cohortflow());
        // Beside the one-process system, the export finds its snapshots, its exports directory
        // and the running job's REST endpoint in the data directory.
        cli.addSubcommand(
                "export-members",
                new ExportCommand(s -> LauncherConfig.from(s).withDataDirDefaults()));
        // Every command has -V (mixinStandardHelpOptions), and picocli does not inherit the
        // version provider: without it 'cohortflow segments -V' printed nothing.
        useVersion(cli, new Version());
        // What is wrong and where to read more, not the whole usage under every mistake.
        cli.setParameterExceptionHandler(
                (e, args) -> {
                    CommandLine cmd = e.getCommandLine();
                    cmd.getErr().println("cohortflow: " + e.getMessage());
                    if (!CommandLine.UnmatchedArgumentException.printSuggestions(e, cmd.getErr())) {
                        cmd.getErr()
                                .println(
                                        "Try '"
                                                + cmd.getCommandSpec().qualifiedName()
                                                + " --help' for more information.");
                    }
                    cmd.getErr().flush();
                    return cmd.getCommandSpec().exitCodeOnInvalidInput();
                });
        // A command that fails says why in a line (with its causes), not with a stack trace:
        // input it cannot use (a file that is not there, JSON the user gave that it cannot read,
        // a setting or option out of range) is a usage error (2), anything else a failure (1):
        // an answer of the service (or of Flink's REST API) that does not parse is no user's
        // mistake, so a JsonProcessingException as such is not "wrong input".
        cli.setExecutionExceptionHandler(
                (e, cmd, parsed) -> {
                    cmd.getErr().println("cohortflow: " + Cohortflow.reasons(e));
                    cmd.getErr().flush();
                    return wrongInput(e) ? cmd.getCommandSpec().exitCodeOnInvalidInput() : 1;
                });
        return cli;
    }

    /** {@code version} for {@code cmd} and all its subcommands, however deep. */
    private static void useVersion(CommandLine cmd, CommandLine.IVersionProvider version) {
        cmd.getCommandSpec().versionProvider(version);
        cmd.getSubcommands().values().forEach(sub -> useVersion(sub, version));
    }

    /** The messages of {@code e} and its causes, each once. */
    static String reasons(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (b.indexOf(m) < 0) {
                b.append(b.length() == 0 ? "" : ": ").append(m);
            }
        }
        return b.toString();
    }

    private static boolean wrongInput(Throwable e) {
        return e instanceof IllegalArgumentException
                || e instanceof java.nio.file.NoSuchFileException
                || e instanceof java.nio.file.AccessDeniedException
                || e instanceof SegmentsCommand.WrongInput;
    }

    @Override
    public Integer call() throws Exception {
        CommandLine run = spec.commandLine().getSubcommands().get("run");
        RunCommand command = run.getCommand();
        command.config = config;
        return command.call();
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The version from the jar's manifest (the build's), or "development" from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Cohortflow.class.getPackage().getImplementationVersion();
            return new String[] {"cohortflow " + (v == null ? "(development build)" : v)};
        }
    }
}
