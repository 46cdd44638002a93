package io.cohortflow.job.export;

import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.core.contract.MembersExport;
import io.cohortflow.job.CommandErrors;
import io.cohortflow.job.Descriptors;
import io.cohortflow.job.Snapshots;
import io.cohortflow.job.Uids;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.filesystem.BucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.SimpleVersionedStringSerializer;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.ExceptionUtils;
import org.jspecify.annotations.Nullable;

/**
 * The members export (docs/exports.md): a Flink batch job over a checkpoint or savepoint of the
 * running job, read with the State Processor API, so the running job is not disturbed. It writes
 * the members of one or all segments under a new export directory, and the {@link MembersExport}
 * manifest last.
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

    private static final DateTimeFormatter ID =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'").withZone(ZoneOffset.UTC);

    /** Runs the export; {@code progress} gets a line at every {@code progressEvery}. */
    public static MembersExport run(Options o, Configuration flink, Consumer<String> progress)
            throws Exception {
        if (o.flinkRest() == null || o.flinkRest().isBlank()) {
            return newest(o, flink, progress);
        }
        Savepoint savepoint = savepoint(o, progress);
        if (savepoint.path() != null) {
            try {
                return export(savepoint.path(), o, flink, progress);
            } finally {
                deleteTree(savepoint.path()); // taken for this export alone
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
                return export(snapshot, o, flink, progress);
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

    private static MembersExport export(
            Path snapshot, Options o, Configuration flink, Consumer<String> progress)
            throws Exception {
        long started = System.nanoTime();
        Instant now = Instant.now();
        String id = ID.format(now);
        Path dir = o.output().resolve(id);
        Files.createDirectories(o.output());
        Files.createDirectory(dir); // this export's alone: a failure deletes it
        JobClient job = null;
        MembersExport manifest;
        try {
            progress.accept("exporting members from " + snapshot + " into " + dir);
            HashMap<String, HashMap<String, Integer>> ordinals = ordinals(snapshot, flink);

            StreamExecutionEnvironment env = environment(flink);
            SavepointReader reader =
                    SavepointReader.read(
                            env, snapshot.toUri().toString(), new EmbeddedRocksDBStateBackend());
            boolean parquet = o.format().equals(MembersExport.PARQUET);
            DataStream<MemberLine> lines =
                    reader.readKeyedState(
                                    OperatorIdentifier.forUid(Uids.SEGMENTATION),
                                    new MemberReader(
                                            ordinals,
                                            o.workspace(),
                                            o.segments(),
                                            parquet ? MembersExport.JSON_LINES : o.format()),
                                    Types.STRING,
                                    TypeInformation.of(MemberLine.class))
                            // The state reader's source hands on a null for a key that yields no
                            // record (a user without a membership held): not a member line.
                            .filter(m -> m != null)
                            .name("Members");
            if (parquet) {
                MemberTable.write(lines, dir.resolve("members"));
            } else {
                lines.sinkTo(files(dir.resolve("members"), o.format())).name("Member files");
            }
            job = env.executeAsync("cohortflow-export-members");
            while (true) {
                try {
                    job.getJobExecutionResult()
                            .get(
                                    o.progressEvery().toMillis(),
                                    java.util.concurrent.TimeUnit.MILLISECONDS);
                    break;
                } catch (java.util.concurrent.TimeoutException e) {
                    Map<String, Object> acc = job.getAccumulators().get();
                    progress.accept(
                            String.format(
                                    "%d users read, %d members written, %.0f s",
                                    count(acc.get(MemberReader.USERS)),
                                    count(acc.get(MemberReader.MEMBERS)),
                                    (System.nanoTime() - started) / 1e9));
                } catch (java.util.concurrent.ExecutionException e) {
                    throw ExceptionUtils.stripExecutionException(e) instanceof Exception x ? x : e;
                }
            }
            JobExecutionResult result = job.getJobExecutionResult().get();
            manifest =
                    new MembersExport(
                            id,
                            Instant.now().toString(),
                            snapshot.toString(),
                            Files.getLastModifiedTime(snapshot.resolve("_metadata"))
                                    .toInstant()
                                    .toString(),
                            o.format(),
                            o.workspace(),
                            o.segments(),
                            count(result.getAccumulatorResult(MemberReader.USERS)),
                            count(result.getAccumulatorResult(MemberReader.MEMBERS)),
                            Duration.ofNanos(System.nanoTime() - started).toMillis());
            // Written last, and atomically: a reader takes an export with a manifest as complete.
            Path tmp = dir.resolve(MembersExport.MANIFEST + ".tmp");
            Files.write(tmp, Json.bytes(manifest));
            Files.move(tmp, dir.resolve(MembersExport.MANIFEST), StandardCopyOption.ATOMIC_MOVE);
        } catch (Throwable e) {
            // Whatever failed (the snapshot's metadata, the job, the manifest), an incomplete
            // export is never read: it would only take up space, one directory per attempt.
            discard(job, dir, e);
            throw e;
        }
        prune(o.output(), o.keep());
        return manifest;
    }

    /**
     * Stops {@code job} if it still runs (it writes into {@code dir}), then deletes {@code dir}.
     */
    private static void discard(@Nullable JobClient job, Path dir, Throwable failure) {
        try {
            if (job != null && !job.getJobExecutionResult().isDone()) {
                job.cancel().get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.addSuppressed(e);
        } catch (Exception e) {
            failure.addSuppressed(e);
        }
        try {
            deleteTree(dir);
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    /** Per workspace, segment id to ordinal: the table the snapshot's profiles were written by. */
    private static HashMap<String, HashMap<String, Integer>> ordinals(
            Path snapshot, Configuration flink) throws Exception {
        StreamExecutionEnvironment env = environment(flink);
        SavepointReader reader;
        try {
            reader =
                    SavepointReader.read(
                            env, snapshot.toUri().toString(), new EmbeddedRocksDBStateBackend());
        } catch (FileNotFoundException | java.nio.file.NoSuchFileException e) {
            throw e; // a checkpoint deleted while read: run() starts over from the newest
        } catch (IOException e) {
            // The snapshot's _metadata, read first: a directory that only looks like a snapshot
            // (a --state named wrongly, a copy cut short) is input the export cannot use.
            throw new IllegalArgumentException(
                    snapshot + " is not a checkpoint or savepoint the export can read", e);
        }
        if (Snapshots.inStateChangelog(snapshot)) {
            throw new IllegalArgumentException(
                    "the snapshot "
                            + snapshot
                            + " is a checkpoint holding the job's state changelog, which Flink's"
                            + " State Processor API cannot read: export while the job runs (a"
                            + " savepoint of it is taken through its REST endpoint), or name a"
                            + " savepoint with --state");
        }
        HashMap<String, HashMap<String, Integer>> out = new HashMap<>();
        try (CloseableIterator<Tuple2<String, Long>> it =
                reader.<String, Long>readBroadcastState(
                                OperatorIdentifier.forUid(Uids.SEGMENTATION),
                                Descriptors.PROGRESS.getName(),
                                Types.STRING,
                                Types.LONG)
                        .executeAndCollect("cohortflow-export-ordinals")) {
            while (it.hasNext()) {
                Tuple2<String, Long> e = it.next();
                if (e.f0.startsWith(Descriptors.ORDINAL)) {
                    String key = e.f0.substring(Descriptors.ORDINAL.length());
                    out.computeIfAbsent(Keys.workspace(key), w -> new HashMap<>())
                            .put(Keys.id(key), e.f1.intValue());
                }
            }
        }
        return out;
    }

    private static StreamExecutionEnvironment environment(Configuration flink) {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        return env;
    }

    /** Member files by segment: {@code <workspace>/<segment>/part-*.<format>}. */
    static FileSink<MemberLine> files(Path dir, String format) {
        boolean csv = format.equals(MembersExport.CSV);
        BulkWriter.Factory<MemberLine> lines =
                out ->
                        new BulkWriter<>() {
                            private boolean header = csv;

                            @Override
                            public void addElement(MemberLine m) throws IOException {
                                if (header) {
                                    out.write(
                                            (MembersExport.CSV_HEADER + "\n")
                                                    .getBytes(StandardCharsets.UTF_8));
                                    header = false;
                                }
                                out.write(m.line.getBytes(StandardCharsets.UTF_8));
                                out.write('\n');
                            }

                            @Override
                            public void flush() throws IOException {
                                out.flush();
                            }

                            @Override
                            public void finish() throws IOException {
                                flush();
                            }
                        };
        return FileSink.forBulkFormat(new org.apache.flink.core.fs.Path(dir.toUri()), lines)
                .withBucketAssigner(new BySegment())
                .withOutputFileConfig(
                        OutputFileConfig.builder()
                                .withPartPrefix("part")
                                .withPartSuffix("." + format)
                                .build())
                .build();
    }

    /** The bucket a member line names (see {@link MembersExport#bucket}). */
    static final class BySegment implements BucketAssigner<MemberLine, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String getBucketId(MemberLine m, Context context) {
            return m.bucket;
        }

        @Override
        public SimpleVersionedSerializer<String> getSerializer() {
            return SimpleVersionedStringSerializer.INSTANCE;
        }
    }

    private static void prune(Path dir, int keep) throws IOException {
        List<Path> all = new ArrayList<>(MembersExport.complete(dir));
        for (int i = 0; i < all.size() - keep; i++) {
            // The manifest first: an export without one is never read, so the service, paging it
            // meanwhile, answers from the newer export or invalid_cursor, never from a half-deleted
            // one (an empty last page, or a part file gone between listing and reading).
            Files.deleteIfExists(all.get(i).resolve(MembersExport.MANIFEST));
            deleteTree(all.get(i));
        }
    }

    private static long count(@Nullable Object accumulator) {
        return accumulator instanceof Number n ? n.longValue() : 0;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
