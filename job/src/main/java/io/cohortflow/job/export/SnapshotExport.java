package io.cohortflow.job.export;

import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.core.contract.MembersExport;
import io.cohortflow.job.Descriptors;
import io.cohortflow.job.Snapshots;
import io.cohortflow.job.Uids;
import java.io.FileNotFoundException;
import java.io.IOException;
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
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.ExceptionUtils;
import org.jspecify.annotations.Nullable;

/**
 * One export of one snapshot, for {@link MembersExporter}: a Flink batch job reading the members
 * out of the snapshot's keyed state into a new directory under the exports directory, the {@link
 * MembersExport} manifest written last, then older exports pruned. A failed export leaves nothing.
 */
final class SnapshotExport {
    private SnapshotExport() {}

    private static final DateTimeFormatter ID =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmssSSS'Z'").withZone(ZoneOffset.UTC);

    /**
     * Exports the members {@code o} asks for from {@code snapshot} into a new directory under
     * {@code o.output()}, keeping {@code o.keep()} exports; {@code progress} gets a line at every
     * {@code o.progressEvery()}.
     */
    static MembersExport export(
            Path snapshot,
            MembersExporter.Options o,
            Configuration flink,
            Consumer<String> progress)
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
                lines.sinkTo(MemberFiles.sink(dir.resolve("members"), o.format()))
                        .name("Member files");
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
            throw e; // a checkpoint deleted while read: MembersExporter starts over from the newest
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

    /** Deletes {@code dir} and everything under it, if it is there. */
    static void deleteTree(Path dir) throws IOException {
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
