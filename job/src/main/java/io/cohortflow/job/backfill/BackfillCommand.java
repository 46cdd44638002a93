package io.cohortflow.job.backfill;

import io.cohortflow.core.config.Settings;
import io.cohortflow.job.DefinitionsCheck;
import io.cohortflow.job.JobConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cohortflow backfill}: the backfill's command line (docs/backfill.md). The launcher's CLI
 * mounts it as a subcommand and {@link Backfill#main} runs it alone (a cluster's {@code flink run
 * -c ...Backfill}), so both read the same options. Exit codes: 0 done, 1 the run failed, 2 the
 * command line, the settings or a file it names are wrong; either said in a line ({@link
 * io.cohortflow.job.CommandErrors}).
 */
@Command(
        name = "backfill",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the job's operator in batch over history files: memberships as of --until, and"
                    + " optionally a bootstrap savepoint the streaming job starts from.",
            "Instants are ISO-8601, e.g. 2026-11-01T00:00:00Z."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:the run failed", "2:wrong options or settings"})
public final class BackfillCommand implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--input",
            split = ",",
            paramLabel = "<file|dir>",
            description =
                    "Event envelopes, one per line (JSON lines, optionally gzipped); repeatable or"
                            + " comma-separated.")
    List<String> inputs = new ArrayList<>();

    @Option(
            names = "--input-table",
            paramLabel = "<history.sql>",
            description =
                    "Instead of --input: a SQL file defining tables (CREATE TABLE ... WITH"
                            + " ('connector' = 'filesystem', 'format' = 'csv' | 'json' | 'avro' |"
                            + " 'parquet', ...)) and,"
                            + " last, the query mapping their columns to user_id, name, time"
                            + " [, workspace, properties, session_id, view_id] (docs/backfill.md).")
    @Nullable String inputTable;

    @Option(
            names = "--output",
            required = true,
            paramLabel = "<dir>",
            description = "Where memberships/, dead-letters/ and transitions/ go.")
    String output;

    @Option(
            names = "--from",
            paramLabel = "<instant>",
            description = "Leave out events before this instant (default: none).")
    @Nullable String from;

    @Option(
            names = "--until",
            paramLabel = "<instant>",
            description =
                    "The end of history: memberships as of it, events at or after it left out,"
                            + " the cut-over of a bootstrap (default: now; required with"
                            + " --savepoint, and never later than now).")
    @Nullable String until;

    @Option(
            names = "--workspace",
            paramLabel = "<id>",
            description = "Only this workspace's events (default: all).")
    @Nullable String workspace;

    @Option(
            names = "--savepoint",
            paramLabel = "<dir>",
            description = "Write a bootstrap savepoint and its cut-over file here.")
    @Nullable String savepoint;

    @Option(
            names = "--definitions-file",
            paramLabel = "<segments.jsonl>",
            description = "Read segment records from this file instead of the definitions topic.")
    @Nullable String definitionsFile;

    @Option(
            names = "--transitions",
            description = "Also write every entered/exited transition, as the streaming job would.")
    boolean transitions;

    @Option(
            names = "--publish",
            description = "Also write memberships and dead letters to their Kafka topics.")
    boolean publish;

    @Option(
            names = "--overwrite",
            description =
                    "Delete memberships/, dead-letters/ and transitions/ under --output once the"
                            + " run's inputs and definitions are found, before it starts"
                            + " (without it, a run into an earlier run's output is refused).")
    boolean overwrite;

    @Option(
            names = "--output-format",
            defaultValue = BackfillOptions.JSON_LINES,
            paramLabel = "jsonl|csv|parquet|json",
            description =
                    "The memberships' format (default ${DEFAULT-VALUE}: the topic's records); csv,"
                            + " parquet and json write columns workspace, user_id, segment_id,"
                            + " change, time, version through the Table API.")
    String outputFormat = BackfillOptions.JSON_LINES;

    @Option(
            names = "--config",
            paramLabel = "<cohortflow.properties>",
            description =
                    "The job's settings (docs/configuration.md); COHORTFLOW_* variables override"
                            + " them.")
    @Nullable Path config;

    /**
     * The options as one run's value; {@code now} stands in for a missing {@code --until} (not with
     * {@code --savepoint}) and bounds a given one.
     */
    BackfillOptions options(Instant now) {
        long fromMillis = instant("--from", from, Long.MIN_VALUE);
        long untilMillis = instant("--until", until, now.toEpochMilli());
        if (untilMillis > now.toEpochMilli()) {
            // Lapses up to --until would be applied before they happen, and a cut-over in the
            // future skips (as counted by the backfill) events the files cannot hold.
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--until "
                            + until
                            + " is later than now ("
                            + now
                            + "): history ends at the newest event the files hold");
        }
        if (fromMillis >= untilMillis) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--from must be before --until");
        }
        if (!BackfillOptions.OUTPUT_FORMATS.contains(outputFormat)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--output-format must be one of "
                            + BackfillOptions.OUTPUT_FORMATS
                            + ", got "
                            + outputFormat);
        }
        if (workspace != null && savepoint != null) {
            // The bootstrapped job's whole state is the savepoint, and it skips every event
            // before the cut-over: every other workspace's users and history would be gone.
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--savepoint replaces the streaming job's whole state: it cannot be written"
                            + " for one --workspace (back fill every workspace for a bootstrap)");
        }
        if (savepoint != null && until == null) {
            // The cut-over must be no later than the newest event the files hold: the
            // bootstrapped job skips every event before it, and reads the topic only from the
            // offsets at it, so the events between the files' export and the run's start would be
            // counted by neither (docs/backfill.md, "the cut-over").
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--savepoint needs --until: the cut-over instant, no later than the newest"
                            + " event the history files hold (the start of the run would drop"
                            + " every event between the files' export and now: the bootstrapped"
                            + " job skips events before the cut-over)");
        }
        if (inputs.isEmpty() == (inputTable == null)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "give either --input or --input-table (one of them)");
        }
        return new BackfillOptions(
                List.copyOf(inputs),
                inputTable,
                fromMillis,
                untilMillis,
                workspace,
                output,
                transitions,
                publish,
                savepoint,
                definitionsFile,
                config,
                outputFormat);
    }

    private long instant(String option, @Nullable String value, long otherwise) {
        if (value == null) {
            return otherwise;
        }
        try {
            return Instant.parse(value).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    option + ": not an ISO-8601 instant (e.g. 2026-11-01T00:00:00Z): " + value);
        }
    }

    /**
     * What the run reads is there and what it writes can be: every --input and the
     * --definitions-file exist, each of the file's records is one the operator takes, and the
     * --output and --savepoint directories can be made. The file source, the operator and the
     * savepoint writer would find each only once the run started (the savepoint writer at its very
     * end), and the operator dead-letters a record it refuses and goes on without its segment.
     */
    private void requireFiles(BackfillOptions o) throws Exception {
        for (String input : o.inputs()) {
            require("--input", input);
        }
        if (o.inputTable() != null) {
            require("--input-table", o.inputTable());
        }
        if (o.definitionsFile() != null) {
            require("--definitions-file", o.definitionsFile());
            checkDefinitions(o.definitionsFile());
        }
        directory("--output", o.output());
        if (o.savepoint() != null) {
            directory("--savepoint", o.savepoint());
        }
    }

    private void require(String option, String file) throws IOException {
        org.apache.flink.core.fs.Path p = new org.apache.flink.core.fs.Path(file);
        if (!p.getFileSystem().exists(p)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), option + " " + file + ": no such file or directory");
        }
    }

    /**
     * @throws IllegalArgumentException naming the file, the line and why the operator refuses it
     */
    private static void checkDefinitions(String file) throws Exception {
        org.apache.flink.core.fs.Path p = new org.apache.flink.core.fs.Path(file);
        if (p.getFileSystem().getFileStatus(p).isDir()) {
            // The file source would read its files in an order of its own, not a log's.
            throw new IllegalArgumentException(
                    "--definitions-file " + file + ": a directory, not a file of segment records");
        }
        DefinitionsCheck check = new DefinitionsCheck();
        try {
            JsonLinesFormat.definitions()
                    .readAll(
                            file,
                            u -> {
                                String refusal = check.refusal(u);
                                if (refusal != null) {
                                    throw new IllegalArgumentException(
                                            "--definitions-file "
                                                    + file
                                                    + ", line "
                                                    + u.offset
                                                    + ": "
                                                    + refusal);
                                }
                            });
        } catch (IOException e) {
            // Not readable, a corrupt archive.
            throw new IllegalArgumentException(
                    "--definitions-file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * @throws IllegalArgumentException when {@code dir} cannot be made a directory
     */
    private static void directory(String option, String dir) {
        org.apache.flink.core.fs.Path p = new org.apache.flink.core.fs.Path(dir);
        String why;
        try {
            org.apache.flink.core.fs.FileSystem fs = p.getFileSystem();
            if (fs.exists(p) && !fs.getFileStatus(p).isDir()) {
                why = "a file, not a directory";
            } else {
                why = fs.mkdirs(p) ? null : "cannot create the directory";
            }
        } catch (java.nio.file.FileAlreadyExistsException e) {
            why = "cannot create the directory: " + e.getFile() + " is a file";
        } catch (IOException e) {
            why = "cannot create the directory: " + e.getMessage();
        }
        if (why != null) {
            throw new IllegalArgumentException(option + " " + dir + ": " + why);
        }
    }

    @Override
    public Integer call() throws Exception {
        BackfillOptions o = options(Instant.now());
        JobConfig c;
        try {
            Settings settings = Settings.load(o.config(), System.getenv());
            c = JobConfig.from(settings);
            JobConfig.warnings(settings)
                    .forEach(w -> spec.commandLine().getErr().println("backfill: warning: " + w));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        if (!overwrite) {
            try {
                Backfill.prepareOutput(o.output(), false);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
            }
        }
        // Before anything is asked of Kafka (the cut-over's offsets, up to 30 s without a broker).
        requireFiles(o);
        // The earlier results go only once all the run reads is found: a run that cannot start
        // leaves them as they were.
        JobExecutionResult result =
                Backfill.run(
                        o,
                        c,
                        new Configuration(),
                        () -> {
                            if (overwrite) {
                                Backfill.prepareOutput(o.output(), true);
                            }
                        });
        PrintWriter out = spec.commandLine().getOut();
        out.printf(
                "backfill done in %d ms: memberships as of %s in %s%s%n",
                result.getNetRuntime(),
                Instant.ofEpochMilli(o.until()),
                o.output(),
                o.savepoint() == null
                        ? ""
                        : "; bootstrap savepoint and " + Cutover.FILE + " in " + o.savepoint());
        out.flush();
        return 0;
    }
}
