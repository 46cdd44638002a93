package io.cohortflow.job.backfill;

import io.cohortflow.core.contract.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.kafka.common.TopicPartition;
import org.jspecify.annotations.Nullable;

/**
 * Where a backfill hands over to the streaming job, written next to its savepoint as {@value
 * #FILE}. The backfill counted every event before {@code cutover}; the streaming job counts every
 * event from it on, reading the events topic from {@code offsets} (per partition), which are early
 * enough that no event at or after the cut-over lies before them. So no event is counted twice and
 * none is missed, provided the history files hold every event before the cut-over.
 *
 * @param savepoint the savepoint with every user's state as of the cut-over
 * @param cutover ISO-8601 instant
 * @param eventsTopic the topic the offsets belong to
 * @param offsets partition to the first offset the streaming job reads
 * @param maxParallelism key groups of the savepoint: the streaming job must use the same
 * @param numbering the numbers the backfill gave segments and counter stores, under which the
 *     savepoint's profiles are written: the streaming job numbers them alike, whatever the order it
 *     reads the definitions in (null in a file written before it was kept)
 */
public record Cutover(
        String savepoint,
        String cutover,
        String eventsTopic,
        Map<Integer, Long> offsets,
        int maxParallelism,
        @Nullable Map<String, Long> numbering) {

    /** A cut-over before its run: the numbering is the run's ({@link #numbered}). */
    public Cutover(
            String savepoint,
            String cutover,
            String eventsTopic,
            Map<Integer, Long> offsets,
            int maxParallelism) {
        this(savepoint, cutover, eventsTopic, offsets, maxParallelism, null);
    }

    /** This cut-over with the numbering its backfill ran with. */
    public Cutover numbered(Map<String, Long> numbering) {
        return new Cutover(
                savepoint, cutover, eventsTopic, offsets, maxParallelism, Map.copyOf(numbering));
    }

    public static final String FILE = "cohortflow-cutover.json";

    public long cutoverMillis() {
        return Instant.parse(cutover).toEpochMilli();
    }

    public Map<TopicPartition, Long> startingOffsets() {
        Map<TopicPartition, Long> out = new HashMap<>(); // serializable: it goes into the source
        offsets.forEach((p, o) -> out.put(new TopicPartition(eventsTopic, p), o));
        return out;
    }

    /** Writes this file into the savepoint's directory (any Flink file system). */
    public void write() throws IOException {
        Path file = new Path(savepoint, FILE);
        try (OutputStream out = file.getFileSystem().create(file, FileSystem.WriteMode.OVERWRITE)) {
            out.write(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
        }
    }

    /** Reads a cut-over file, given its path or its savepoint directory's. */
    public static Cutover read(String location) throws IOException {
        Path file = new Path(location);
        if (!file.getName().equals(FILE)) {
            file = new Path(location, FILE);
        }
        try (InputStream in = file.getFileSystem().open(file)) {
            return Json.MAPPER.readValue(in, Cutover.class);
        }
    }
}
