package io.cohortflow.launcher;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import javax.annotation.Nullable;

/**
 * What the one-process system needs beyond the service's and the job's own settings, each with its
 * key and default here. The same properties file feeds {@code ServiceConfig}, {@code JobConfig} and
 * {@code SegmentationConfig}; environment variables override ({@code cohortflow.dataDir} by {@code
 * COHORTFLOW_DATADIR}).
 *
 * @param dataDir broker log and Flink checkpoints/savepoints: keep it and a restart keeps
 *     definitions, aliases, schemas and user state
 * @param kafkaPort the embedded broker's port on 127.0.0.1
 * @param eventPartitions partitions of the events topic (the job's useful parallelism)
 * @param properties every key of the file, handed on to the parts
 */
public record LauncherConfig(
        Path dataDir, int kafkaPort, int eventPartitions, Map<String, String> properties) {

    public static final String DATA_DIR = "cohortflow.dataDir";
    public static final String KAFKA_PORT = "cohortflow.kafka.port";
    public static final String EVENT_PARTITIONS = "cohortflow.kafka.eventPartitions";

    public static final Map<String, String> DEFAULTS =
            Map.of(DATA_DIR, "data", KAFKA_PORT, "9092", EVENT_PARTITIONS, "2");

    public static LauncherConfig load(@Nullable Path file, Map<String, String> env) {
        Map<String, String> props = new HashMap<>();
        if (file != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read configuration " + file, e);
            }
            p.forEach((k, v) -> props.put(k.toString(), v.toString()));
        }
        return from(props, env);
    }

    public static LauncherConfig from(Map<String, String> props, Map<String, String> env) {
        Map<String, String> v = new HashMap<>(DEFAULTS);
        v.putAll(props);
        for (String k : DEFAULTS.keySet()) {
            String e = env.get(k.toUpperCase(Locale.ROOT).replace('.', '_'));
            if (e != null && !e.isBlank()) {
                v.put(k, e.trim());
            }
        }
        return new LauncherConfig(
                Path.of(v.get(DATA_DIR)).toAbsolutePath(),
                Integer.parseInt(v.get(KAFKA_PORT)),
                Integer.parseInt(v.get(EVENT_PARTITIONS)),
                Map.copyOf(props));
    }

    /** How long a clean stop waits for the job's final savepoint before cancelling it. */
    public Duration stopTimeout() {
        return Duration.ofSeconds(30);
    }
}
