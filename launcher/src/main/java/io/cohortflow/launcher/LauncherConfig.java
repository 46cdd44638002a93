package io.cohortflow.launcher;

import io.cohortflow.core.config.CommonSettings;
import io.cohortflow.core.config.Setting;
import io.cohortflow.core.config.Settings;
import io.cohortflow.job.JobConfig;
import io.cohortflow.service.segmentation.SegmentationConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the one-process system needs beyond the service's and the job's own settings. The same
 * {@link Settings} (one properties file, then the environment) feed {@code ServiceConfig}, {@code
 * SegmentationConfig} and {@code JobConfig}; docs/configuration.md lists every key.
 *
 * @param dataDir broker log and Flink checkpoints/savepoints: keep it and a restart keeps
 *     definitions, aliases, schemas and user state
 * @param kafkaPort the embedded broker's port on 127.0.0.1
 * @param eventPartitions partitions of the events topic (the job's useful parallelism)
 * @param settings every setting, handed on to the parts
 */
public record LauncherConfig(Path dataDir, int kafkaPort, int eventPartitions, Settings settings) {

    public static final Setting<String> DATA_DIR =
            Setting.text(
                            "cohortflow.data-dir",
                            "data",
                            "Where the one-process system keeps the broker's log, checkpoints and"
                                    + " savepoints; keep it and a restart keeps everything.")
                    .deprecated("cohortflow.dataDir");
    public static final Setting<Integer> KAFKA_PORT =
            Setting.integer(
                    "cohortflow.kafka.port",
                    9092,
                    0,
                    65_535,
                    "The embedded broker's port on 127.0.0.1; 0 for any free one.");
    public static final Setting<Integer> EVENT_PARTITIONS =
            Setting.integer(
                            "cohortflow.kafka.event-partitions",
                            2,
                            1,
                            1_024,
                            "Partitions of the events topic the launcher creates (the job's"
                                    + " useful parallelism).")
                    .deprecated("cohortflow.kafka.eventPartitions");

    public static final Setting<Integer> FLINK_UI_PORT =
            Setting.integer(
                    "cohortflow.flink.ui-port",
                    8081,
                    0,
                    65_535,
                    "The port of Flink's web UI and REST API on 127.0.0.1 (the job's metrics,"
                            + " checkpoints, backpressure); a free one when taken, 0 for any.");

    /** Properties with this prefix are Flink options, handed to the mini cluster. */
    public static final String FLINK_PREFIX = "flink.";

    public static final List<Setting<?>> OWN =
            List.of(DATA_DIR, KAFKA_PORT, EVENT_PARTITIONS, FLINK_UI_PORT);

    /** Every setting the one-process system reads, the parts' included (each once). */
    public static final List<Setting<?>> ALL = all();

    private static List<Setting<?>> all() {
        List<Setting<?>> all = new ArrayList<>(SegmentationConfig.ALL);
        all.addAll(JobConfig.OWN);
        all.addAll(OWN);
        return List.copyOf(all);
    }

    /** Properties (a file's, or a test's) under the environment. */
    public static LauncherConfig from(Map<String, String> properties, Map<String, String> env) {
        return from(Settings.of(properties, env));
    }

    public static LauncherConfig from(Settings s) {
        return new LauncherConfig(
                Path.of(s.get(DATA_DIR)).toAbsolutePath(),
                s.get(KAFKA_PORT),
                s.get(EVENT_PARTITIONS),
                s);
    }

    /** The file in the data directory naming the running job's Flink REST endpoint. */
    static final String FLINK_REST_FILE = "flink-rest-url";

    /**
     * The settings with what the one-process system keeps in its data directory: the job's
     * checkpoints, the members exports, and (while it runs) the job's Flink REST endpoint, which
     * the launcher writes at start. The system and the commands run beside it ({@code
     * export-members}) read the same.
     */
    public Settings withDataDirDefaults() {
        Settings out =
                settings.withDefault(
                                JobConfig.CHECKPOINT_DIR,
                                dataDir.resolve("checkpoints").toUri().toString())
                        .withDefault(
                                CommonSettings.EXPORT_DIR, dataDir.resolve("exports").toString());
        Path rest = dataDir.resolve(FLINK_REST_FILE);
        try {
            if (Files.exists(rest)) {
                out = out.withDefault(JobConfig.FLINK_REST_URL, Files.readString(rest).trim());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** How long a clean stop waits for the job's final savepoint before cancelling it. */
    public Duration stopTimeout() {
        return Duration.ofSeconds(30);
    }
}
