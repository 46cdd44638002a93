package io.cohortflow.job.export;

import io.cohortflow.core.config.CommonSettings;
import io.cohortflow.core.config.Settings;
import io.cohortflow.core.contract.MembersExport;
import io.cohortflow.job.CommandErrors;
import io.cohortflow.job.JobConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import org.apache.flink.configuration.Configuration;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cohortflow export-members}: the members export's command line (docs/exports.md). Exit
 * codes: 0 done, 1 the export failed, 2 the command line, the settings or the snapshot named are
 * wrong; either said in a line ({@link CommandErrors}).
 */
@Command(
        name = "export-members",
        mixinStandardHelpOptions = true,
        description = {
            "Writes the members of one or all segments, as the job's newest checkpoint or a"
                    + " savepoint holds them, as JSON lines, CSV or Parquet (--format; a Flink"
                    + " batch job reading the"
                    + " snapshot: the running job is not disturbed). The service's"
                    + " GET /segments/{id}/members pages over the newest export."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:the export failed", "2:wrong options or settings"})
public final class ExportCommand implements Callable<Integer> {
    @Spec CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--state",
            split = ",",
            paramLabel = "<dir>",
            description =
                    "A checkpoint or savepoint, or directories to take the newest one from."
                            + " Default: a savepoint of the running job when"
                            + " cohortflow.job.flink-rest-url is set (whatever the checkpoint"
                            + " directory), else the newest snapshot in the job's local checkpoint"
                            + " directory and the savepoints directory beside it.")
    List<Path> state = new ArrayList<>();

    @Option(
            names = "--output",
            paramLabel = "<dir>",
            description = "The exports directory (default: cohortflow.export.dir).")
    @Nullable Path output;

    @Option(
            names = "--format",
            defaultValue = "jsonl",
            paramLabel = "jsonl|csv|parquet",
            description =
                    "JSON lines (default), CSV with a header (both paged by the service), or"
                            + " Parquet partitioned by workspace and segment (for a warehouse).")
    String format;

    @Option(
            names = "--workspace",
            paramLabel = "<id>",
            description = "Only this workspace's members (default: all).")
    @Nullable String workspace;

    @Option(
            names = "--segment",
            split = ",",
            paramLabel = "<id>",
            description = "Only these segments (default: all); repeatable or comma-separated.")
    @Nullable List<String> segments;

    @Option(
            names = "--keep",
            defaultValue = "3",
            paramLabel = "<n>",
            description =
                    "Exports to keep in the exports directory, this one included (default 3).")
    int keep;

    @Option(
            names = "--config",
            paramLabel = "<cohortflow.properties>",
            description =
                    "The settings (docs/configuration.md; default: $COHORTFLOW_CONFIG, else"
                            + " none); COHORTFLOW_* variables override them.")
    @Nullable Path config;

    /** The streaming job's name, as {@code CohortflowJob.main} and the launcher submit it. */
    public static final String JOB_NAME = "cohortflow";

    private final UnaryOperator<Settings> defaults;

    public ExportCommand() {
        this(UnaryOperator.identity());
    }

    /** The export on a Flink host: {@code java -cp cohortflow-job.jar ...ExportCommand ...}. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The export's command line as {@link #main} runs it, ending by {@link CommandErrors}. */
    public static CommandLine commandLine() {
        return CommandErrors.commandLine(new ExportCommand());
    }

    /** With defaults the caller adds to the settings (the launcher's data directory). */
    public ExportCommand(UnaryOperator<Settings> defaults) {
        this.defaults = defaults;
    }

    @Override
    public Integer call() throws Exception {
        if (!List.of(MembersExport.JSON_LINES, MembersExport.CSV, MembersExport.PARQUET)
                .contains(format)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--format must be jsonl, csv or parquet, got " + format);
        }
        if (keep < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--keep must be >= 1");
        }
        Settings settings;
        JobConfig c;
        try {
            settings =
                    defaults.apply(
                            Settings.load(Settings.file(config, System.getenv()), System.getenv()));
            c = JobConfig.from(settings);
            JobConfig.warnings(settings)
                    .forEach(
                            w ->
                                    spec.commandLine()
                                            .getErr()
                                            .println("export-members: warning: " + w));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        List<Path> roots = state;
        String rest = null;
        if (roots.isEmpty()) {
            rest = settings.get(JobConfig.FLINK_REST_URL);
            roots = c.localSnapshotDirs();
            // With a REST endpoint the savepoint is written under the exports directory, wherever
            // the checkpoints are: a remote (s3:) checkpoint directory only leaves no snapshot to
            // fall back on.
            if (roots.isEmpty() && (rest == null || rest.isBlank())) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "the checkpoint directory "
                                + c.checkpointDir()
                                + " is not local and "
                                + JobConfig.FLINK_REST_URL.key()
                                + " is not set: name a checkpoint or savepoint with --state, or"
                                + " set the running job's Flink REST endpoint");
            }
        }
        Path out = output != null ? output : Path.of(settings.get(CommonSettings.EXPORT_DIR));
        PrintWriter err = spec.commandLine().getErr();
        MembersExport m =
                MembersExporter.run(
                        new MembersExporter.Options(
                                roots,
                                out.toAbsolutePath(),
                                format,
                                workspace,
                                segments,
                                keep,
                                Duration.ofSeconds(10),
                                rest,
                                JOB_NAME),
                        new Configuration(),
                        line -> {
                            err.println(line);
                            err.flush();
                        });
        PrintWriter o = spec.commandLine().getOut();
        o.printf(
                "exported %d members of %d users in %d ms: %s (as of %s)%n",
                m.members(), m.users(), m.durationMs(), out.resolve(m.id()), m.snapshotAt());
        o.flush();
        return 0;
    }
}
