package io.cohortflow.job.backfill;

import io.cohortflow.core.event.EventLimits;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.serialization.Encoder;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;

/**
 * The backfill's files: the history, table and definitions it reads, the JSON lines it writes, and
 * the {@code --output} directory it writes them under ({@link Backfill#of} plugs them in).
 */
final class BackfillFiles {
    private BackfillFiles() {}

    /**
     * The SQL of {@code --input-table}: a table and its mapping to events ({@link TableHistory}).
     */
    static String readTable(String file) {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of(file));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read --input-table " + file + ": " + e, e);
        }
    }

    /** JSON lines files of event envelopes (plain or compressed). */
    static FileSource<Inbound> historyFiles(List<String> inputs, EventLimits limits) {
        List<Path> paths = new ArrayList<>();
        inputs.forEach(i -> paths.add(new Path(i)));
        return FileSource.forBulkFileFormat(
                        JsonLinesFormat.events(limits), paths.toArray(Path[]::new))
                .build();
    }

    static FileSource<DefinitionUpdate> definitionsFile(String file) {
        return FileSource.forBulkFileFormat(JsonLinesFormat.definitions(), new Path(file)).build();
    }

    /** One JSON record per line, under {@code dir}, in files named {@code part-*.jsonl}. */
    static FileSink<KafkaMessage> jsonLines(String dir) {
        Encoder<KafkaMessage> encoder =
                (m, out) -> {
                    out.write(m.value);
                    out.write('\n');
                };
        return FileSink.forRowFormat(new Path(dir), encoder)
                .withOutputFileConfig(
                        OutputFileConfig.builder()
                                .withPartPrefix("part")
                                .withPartSuffix(".jsonl")
                                .build())
                .build();
    }

    /**
     * Makes {@code output} ready for a run: its {@link Backfill#OUTPUTS} are deleted when {@code
     * overwrite}, else any that holds something is refused. A run's part files get new names and a
     * table insert appends, so a run into an earlier run's output would mix both runs' records.
     *
     * @throws IllegalArgumentException naming the directories that hold something (without {@code
     *     overwrite})
     */
    static void prepareOutput(String output, boolean overwrite) throws IOException {
        List<String> used = new ArrayList<>();
        for (String name : Backfill.OUTPUTS) {
            Path dir = new Path(output, name);
            FileSystem fs = dir.getFileSystem();
            if (!fs.exists(dir)) {
                continue;
            }
            if (overwrite) {
                fs.delete(dir, true);
            } else if (!fs.getFileStatus(dir).isDir()) {
                used.add(dir.toString());
            } else {
                FileStatus[] in = fs.listStatus(dir);
                if (in != null && in.length > 0) {
                    used.add(dir.toString());
                }
            }
        }
        if (!used.isEmpty()) {
            throw new IllegalArgumentException(
                    "--output "
                            + output
                            + " holds an earlier run's results ("
                            + String.join(", ", used)
                            + "): this run's would be mixed into them; give another --output, or"
                            + " --overwrite to delete them first");
        }
    }
}
