package io.cohortflow.launcher;

import io.cohortflow.job.CommandErrors;
import io.cohortflow.job.backfill.BackfillCommand;
import io.cohortflow.job.export.ExportCommand;
import java.nio.file.Path;
import java.util.List;
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
            AnswerPrinter.UNREACHABLE_HELP
        })
public final class Cohortflow implements Callable<Integer> {

    @Parameters(
            arity = "0..1",
            paramLabel = "<cohortflow.properties>",
            description = "The settings file for 'run' (default: $COHORTFLOW_CONFIG, else none).")
    @Nullable Path config;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /**
     * The first argument as a mistyped command, or null when it is none (no argument, an existing
     * file, a path, a name with an extension). {@code cohortflow segmnets list} read 'segmnets' as
     * the settings file of {@code run}, and the user learnt of a file that is not there (or, with
     * 'list' after it, of an unmatched argument) instead of the typo.
     */
    @Nullable UnknownCommand mistyped() {
        if (config == null || !UnknownCommand.isMistypedCommand(config.toString())) {
            return null;
        }
        return UnknownCommand.of(
                spec.commandLine(), config.toString(), "and no settings file of that name");
    }

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
        // What is wrong and where to read more, not the whole usage under every mistake: the
        // rule of the job's standalone commands (CommandErrors), with a mistyped command named
        // as one.
        cli.setParameterExceptionHandler(
                (e, args) -> {
                    if (e instanceof CommandLine.UnmatchedArgumentException u) {
                        e = unknownCommand(u, args);
                    } else if (groupWithoutCommand(e)) {
                        e = UnknownCommand.missing(e.getCommandLine());
                    }
                    return e instanceof UnknownCommand u
                            ? CommandErrors.usage(u, u.hints(), false)
                            : CommandErrors.usage(e, List.of(), true);
                });
        // A command that fails says why in a line (with its causes), not with a stack trace:
        // input it cannot use (a file that is not there, JSON the user gave that it cannot read,
        // a setting or option out of range) is a usage error (2), anything else a failure (1):
        // an answer of the service (or of Flink's REST API) that does not parse is no user's
        // mistake, so a JsonProcessingException as such is not "wrong input".
        cli.setExecutionExceptionHandler(
                (e, cmd, parsed) -> CommandErrors.failure(e, cmd, System.getenv()));
        return cli;
    }

    /**
     * {@code e} as an {@link UnknownCommand} when the first argument it left unmatched is a
     * mistyped command, else {@code e} as it is: {@code cohortflow segmnets list} (the word taken
     * for the settings file, 'list' left over), {@code cohortflow segments lsit} (a command that
     * takes only commands). Picocli's message listed every argument from there on, and its
     * suggestions compare letter pairs, so they miss two letters swapped.
     */
    private static CommandLine.ParameterException unknownCommand(
            CommandLine.UnmatchedArgumentException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        List<String> unmatched = e.getUnmatched();
        if (cmd.getCommand() instanceof Cohortflow top) {
            // Only as the first argument: in 'cohortflow --port 8080' the option is the mistake.
            UnknownCommand mistyped = top.mistyped();
            return mistyped != null && args.length > 0 && args[0].equals(top.config.toString())
                    ? mistyped
                    : e;
        }
        if (cmd.getSubcommands().isEmpty()
                || !cmd.getCommandSpec().positionalParameters().isEmpty()
                || unmatched.isEmpty()
                || !UnknownCommand.looksLikeCommand(unmatched.get(0))) {
            return e;
        }
        return UnknownCommand.of(cmd, unmatched.get(0), "");
    }

    /**
     * Whether {@code e} is picocli's "Missing required subcommand": a command that only groups
     * others ({@code segments}, {@code users}: it runs nothing itself) given none of them.
     */
    private static boolean groupWithoutCommand(CommandLine.ParameterException e) {
        CommandLine cmd = e.getCommandLine();
        Object command = cmd.getCommand();
        return e.getClass() == CommandLine.ParameterException.class
                && !cmd.getSubcommands().isEmpty()
                && !(command instanceof Callable<?> || command instanceof Runnable)
                && cmd.getParseResult() != null
                && !cmd.getParseResult().hasSubcommand();
    }

    /** {@code version} for {@code cmd} and all its subcommands, however deep. */
    private static void useVersion(CommandLine cmd, CommandLine.IVersionProvider version) {
        cmd.getCommandSpec().versionProvider(version);
        cmd.getSubcommands().values().forEach(sub -> useVersion(sub, version));
    }

    @Override
    public Integer call() throws Exception {
        UnknownCommand mistyped = mistyped();
        if (mistyped != null) {
            throw mistyped;
        }
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
