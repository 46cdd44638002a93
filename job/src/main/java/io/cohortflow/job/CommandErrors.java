package io.cohortflow.job;

import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * How Cohortflow's commands end when they cannot do their work: the one rule of the standalone
 * backfill ({@code io.cohortflow.job.backfill.Backfill}), the standalone members export ({@code
 * io.cohortflow.job.export.ExportCommand}) and every command of the launcher's {@code cohortflow}
 * (which mounts the same two). docs/backfill.md and docs/exports.md state it to users.
 *
 * <ul>
 *   <li>A command line that is wrong ({@link CommandLine.ParameterException}: an unknown option, a
 *       value that does not parse, options that do not go together, a file named that is not
 *       there): {@code <command>: <what is wrong>}, then where the help is; exit 2.
 *   <li>Input the command cannot use, found once the command line is read ({@link
 *       IllegalArgumentException}, the family of every "wrong input" error here, settings included;
 *       a file not found or not readable): {@code <command>: <what and why>}; exit 2.
 *   <li>Anything else, a run that started and failed, a broker that does not answer, a fault of
 *       ours: {@code <command>: <why>}; exit 1.
 * </ul>
 *
 * The line names the exception's causes too, each once, first lines only; a stack trace is printed
 * only with {@link #VERBOSE} set, for a fault the line cannot explain. A user who gave a file that
 * is not JSON needs the file and the line, not forty frames of Flink's source reader.
 */
public final class CommandErrors {
    private CommandErrors() {}

    /**
     * The environment variable that adds the stack trace to a failed command's line (any value but
     * empty, {@code 0} or {@code false}): an environment variable rather than an option, so that it
     * reaches every command alike, standalone, under {@code flink run} and in the launcher.
     */
    public static final String VERBOSE = "COHORTFLOW_VERBOSE";

    /**
     * Messages with which Flink wraps a failed job's cause, saying nothing of it: left out of the
     * line, which would otherwise open with four of them.
     */
    private static final List<String> FLINK_WRAPPERS =
            List.of(
                    "Job execution failed",
                    "Recovery is suppressed by ",
                    "One or more fetchers have encountered exception",
                    "SplitFetcher thread ");

    /** {@code command}'s command line, ending by this rule. */
    public static CommandLine commandLine(Object command) {
        CommandLine cli = new CommandLine(command);
        cli.setParameterExceptionHandler((e, args) -> usage(e, List.of(), true));
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> failure(e, cmd, System.getenv()));
        return cli;
    }

    /**
     * A wrong command line: its message, then {@code hints} (or, with {@code suggest}, picocli's
     * suggestions for a mistyped option when it has some) or where the help is. Returns the exit
     * code, 2.
     */
    public static int usage(CommandLine.ParameterException e, List<String> hints, boolean suggest) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(name(cmd) + ": " + e.getMessage());
        hints.forEach(err::println);
        if (!suggest || !CommandLine.UnmatchedArgumentException.printSuggestions(e, err)) {
            err.println(
                    "Try '"
                            + cmd.getCommandSpec().qualifiedName()
                            + " --help' for more information.");
        }
        err.flush();
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /**
     * A command that threw {@code e}: one line saying why, the stack trace only with {@link
     * #VERBOSE} set in {@code env}. Returns the exit code: 2 for {@link #wrongInput}, else 1.
     */
    public static int failure(Exception e, CommandLine cmd, Map<String, String> env) {
        PrintWriter err = cmd.getErr();
        err.println(name(cmd) + ": " + reasons(e));
        if (verbose(env)) {
            e.printStackTrace(err);
        }
        err.flush();
        return wrongInput(e) ? cmd.getCommandSpec().exitCodeOnInvalidInput() : 1;
    }

    /**
     * Whether {@code e} says the user gave something the command cannot use: only {@code e} itself,
     * not its causes. Inside a run (a Flink job's failure) an {@link IllegalArgumentException} is a
     * fault of the run, not of the command line.
     */
    public static boolean wrongInput(Throwable e) {
        return e instanceof IllegalArgumentException
                || e instanceof java.nio.file.NoSuchFileException
                || e instanceof java.nio.file.AccessDeniedException;
    }

    /**
     * The messages of {@code e} and its causes, each once and on one line: the first line of each
     * (a JSON parser's location follows on a second), without Flink's wrappers of a failed job and
     * without a message that only repeats its cause ({@code new Exception(cause)}).
     */
    public static String reasons(Throwable e) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            m = m.lines().findFirst().orElse("").strip();
            if (m.isEmpty()
                    || (t.getCause() != null && m.equals(t.getCause().toString()))
                    || FLINK_WRAPPERS.stream().anyMatch(m::startsWith)) {
                continue;
            }
            if (b.indexOf(m) < 0) {
                b.append(b.length() == 0 ? "" : ": ").append(m);
            }
        }
        return b.length() == 0 ? e.getClass().getName() : b.toString();
    }

    /** Whether {@code env} asks for stack traces ({@link #VERBOSE}). */
    public static boolean verbose(Map<String, String> env) {
        String v = env.get(VERBOSE);
        return v != null && !v.isBlank() && !v.equals("0") && !v.equalsIgnoreCase("false");
    }

    /** The name a line starts with: the top command's ({@code backfill}, {@code cohortflow}). */
    private static String name(CommandLine cmd) {
        CommandLine top = cmd;
        while (top.getParent() != null) {
            top = top.getParent();
        }
        return top.getCommandName();
    }
}
