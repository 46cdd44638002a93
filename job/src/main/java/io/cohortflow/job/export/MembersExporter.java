package io.cohortflow.job.export;

import io.cohortflow.core.contract.MembersExport;
import io.cohortflow.job.CommandErrors;
import io.cohortflow.job.Snapshots;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.util.ExceptionUtils;
import org.jspecify.annotations.Nullable;

/**
 * The members export (docs/exports.md): a Flink batch job over a checkpoint or savepoint of the
 * running job, read with the State Processor API, so the running job is not disturbed. It writes
 * the members of one or all segments under a new export directory, and the {@link MembersExport}
 * manifest last. This class picks the snapshot (a savepoint taken for the export, else the newest
 * found); {@link SnapshotExport} exports it.
 */
public final class MembersExporter {
    private MembersExporter() {}

    /**
     * @param state a snapshot (a directory holding {@code _metadata}), or directories to search for
     *     the newest one (a job's checkpoint directory, a savepoint directory)
     * @param output the exports directory: this export goes into a new directory under it
     * @param keep exports to keep in {@code output}, this one included; older ones are deleted
     * @param flinkRest the running job's Flink REST endpoint: when set (and {@code state} names no
     *     snapshot of its own), the export takes a savepoint of the job named {@code jobName}
     *     through it and reads that; {@code state} is then only the fallback, and may be empty (a
     *     remote checkpoint directory), which makes a failed savepoint a failed export
     */
    public record Options(
            List<Path> state,
            Path output,
            String format,
            @Nullable String workspace,
            @Nullable List<String> segments,
            int keep,
            Duration progressEvery,
            @Nullable String flinkRest,
            String jobName) {}

    /** How long a savepoint for an export may take. */
    static final Duration SAVEPOINT_TIMEOUT = Duration.ofMinutes(10);

    /** Attempts when the snapshot read is a running job's checkpoint that it deletes meanwhile. */
    static final int ATTEMPTS = 3;

    /** Runs the export; {@code progress} gets a line at every {@code progressEvery}. */
    public static MembersExport run(Options o, Configuration flink, Consumer<String> progress)
            throws Exception {
        if (o.flinkRest() == null || o.flinkRest().isBlank()) {
            return newest(o, flink, progress);
        }
        Savepoint savepoint = savepoint(o, progress);
        if (savepoint.path() != null) {
            try {
                return SnapshotExport.export(savepoint.path(), o, flink, progress);
            } finally {
                SnapshotExport.deleteTree(savepoint.path()); // taken for this export alone
            }
        }
        String noSavepoint = "no savepoint through " + o.flinkRest() + " (" + savepoint.why() + ")";
        if (o.state().isEmpty()) {
            // The REST endpoint was the only way to a snapshot (a remote checkpoint directory).
            throw new IllegalStateException(
                    noSavepoint
                            + ", and no local checkpoint or savepoint to read instead: name one"
                            + " with --state");
        }
        try {
            return newest(o, flink, progress);
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            // The line that ends the command names why the endpoint was not used too, not only
            // what went wrong with the snapshot read instead; as wrong input (2) when that was.
            String message =
                    noSavepoint + ", and reading the newest checkpoint or savepoint instead failed";
            throw CommandErrors.wrongInput(e)
                    ? new IllegalArgumentException(message, e)
                    : new IllegalStateException(message, e);
        }
    }

    /**
     * The export of the newest snapshot in {@code o.state()}, started over from the newest when the
     * one read is deleted meanwhile.
     */
    private static MembersExport newest(Options o, Configuration flink, Consumer<String> progress)
            throws Exception {
        for (int attempt = 1; ; attempt++) {
            Path snapshot =
                    Snapshots.newest(o.state())
                            .orElseThrow(
                                    () ->
                                            new IllegalArgumentException(
                                                    "no checkpoint or savepoint (a directory with"
                                                            + " _metadata) in "
                                                            + o.state()));
            try {
                return SnapshotExport.export(snapshot, o, flink, progress);
            } catch (Exception e) {
                boolean subsumed =
                        ExceptionUtils.findThrowable(e, FileNotFoundException.class).isPresent()
                                || ExceptionUtils.findThrowable(
                                                e, java.nio.file.NoSuchFileException.class)
                                        .isPresent();
                if (!subsumed || attempt == ATTEMPTS) {
                    throw e;
                }
                // A running job deletes a checkpoint's files once a newer one subsumes it: read
                // the newer one (a savepoint, which no job deletes, avoids this).
                progress.accept(
                        "the snapshot "
                                + snapshot
                                + " was deleted while read (a newer checkpoint subsumed it);"
                                + " starting over from the newest");
            }
        }
    }

    /** A savepoint taken for the export, or why there is none. */
    private record Savepoint(@Nullable Path path, @Nullable String why) {}

    /**
     * A savepoint of the running job through its REST endpoint, into the exports directory; else
     * why not (also said to {@code progress} at once, before a fallback that may take long) when
     * the endpoint does not answer or runs no such job, e.g. a launcher that has stopped: its final
     * savepoint is then the newest snapshot.
     */
    private static Savepoint savepoint(Options o, Consumer<String> progress)
            throws InterruptedException {
        FlinkRest rest = new FlinkRest(o.flinkRest());
        try {
            String job = rest.runningJob(o.jobName());
            progress.accept("taking a savepoint of job " + job + " through " + o.flinkRest());
            return new Savepoint(
                    rest.savepoint(job, o.output().resolve(".savepoints"), SAVEPOINT_TIMEOUT),
                    null);
        } catch (IOException e) {
            String why = rest.why(e);
            progress.accept(
                    "no savepoint through "
                            + o.flinkRest()
                            + " ("
                            + why
                            + (o.state().isEmpty()
                                    ? ")"
                                    : "); reading the newest checkpoint or savepoint instead"));
            return new Savepoint(null, why);
        }
    }
}
