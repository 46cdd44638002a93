package io.cohortflow.job;

import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.event.EventLimits;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The job's settings, each with a named key and a default, in one place. Read from a properties
 * file and overridden by environment variables: key {@code kafka.bootstrap} is {@code
 * COHORTFLOW_KAFKA_BOOTSTRAP} (upper case, dots and dashes as underscores).
 */
public record JobConfig(
        String bootstrap,
        TopicNames topics,
        String groupId,
        int parallelism,
        int maxParallelism,
        String checkpointDir,
        Duration checkpointInterval,
        Duration horizon,
        int historyCap,
        Duration maxFutureSkew,
        Duration outOfOrderness,
        Duration idleness,
        String transactionalIdPrefix,
        Duration transactionTimeout,
        String bootstrapManifest,
        int poisonAttempts,
        EventLimits eventLimits,
        Duration idempotencyWindow) {

    public static final String BOOTSTRAP = "kafka.bootstrap";
    public static final String GROUP_ID = "job.group-id";
    public static final String PARALLELISM = "job.parallelism";

    /**
     * Key groups: the most subtasks the job can ever scale to. Savepoints (and the backfill's
     * bootstrap savepoint) only restore into a job with the same value.
     */
    public static final String MAX_PARALLELISM = "job.max-parallelism";

    /**
     * A backfill's cut-over file ({@code cohortflow-cutover.json}): events before its instant are
     * skipped (the backfill counted them) and, when the job starts without state of its own, it
     * reads the events topic from the offsets the file names.
     */
    public static final String BOOTSTRAP_MANIFEST = "job.bootstrap";

    public static final String CHECKPOINT_DIR = "job.checkpoint-dir";
    public static final String CHECKPOINT_INTERVAL = "job.checkpoint-interval";
    public static final String HORIZON = "state.horizon";
    public static final String HISTORY_CAP = "state.history-cap";

    /** How long the job keeps a request's answer for a retry with the same idempotency key. */
    public static final String IDEMPOTENCY_WINDOW = "state.idempotency-window";

    public static final String MAX_FUTURE_SKEW = "events.max-future-skew";
    public static final String OUT_OF_ORDERNESS = "events.out-of-orderness";
    public static final String IDLENESS = "events.idleness";
    public static final String TRANSACTIONAL_ID_PREFIX = "kafka.transactional-id-prefix";
    public static final String TRANSACTION_TIMEOUT = "kafka.transaction-timeout";

    /** Times a record may fail the task before the job skips it to the dead-letter topic. */
    public static final String POISON_ATTEMPTS = "job.poison-attempts";

    public static final String MAX_NAME_LENGTH = "events.max-name-length";
    public static final String MAX_KEY_LENGTH = "events.max-key-length";
    public static final String MAX_STRING_LENGTH = "events.max-string-length";
    public static final String MAX_VALUES = "events.max-values";
    public static final String MAX_DEPTH = "events.max-depth";
    public static final String MAX_EVENT_CHARS = "events.max-event-chars";
    public static final String TOPIC_DEFINITIONS = "topics.definitions";
    public static final String TOPIC_EVENTS = "topics.events";
    public static final String TOPIC_MEMBERSHIPS = "topics.memberships";
    public static final String TOPIC_REPLIES = "topics.replies";
    public static final String TOPIC_DEAD_LETTER = "topics.dead-letter";
    public static final String TOPIC_APPLIED = "topics.applied";

    public static JobConfig defaults() {
        return from(Map.of());
    }

    /** The settings given, defaults for the rest. */
    public static JobConfig from(Map<String, String> s) {
        TopicNames d = TopicNames.DEFAULT;
        return new JobConfig(
                s.getOrDefault(BOOTSTRAP, "127.0.0.1:9092"),
                new TopicNames(
                        s.getOrDefault(TOPIC_DEFINITIONS, d.definitions()),
                        s.getOrDefault(TOPIC_EVENTS, d.events()),
                        s.getOrDefault(TOPIC_MEMBERSHIPS, d.memberships()),
                        s.getOrDefault(TOPIC_REPLIES, d.replies()),
                        s.getOrDefault(TOPIC_DEAD_LETTER, d.deadLetter()),
                        s.getOrDefault(TOPIC_APPLIED, d.applied())),
                s.getOrDefault(GROUP_ID, "cohortflow-job"),
                Integer.parseInt(s.getOrDefault(PARALLELISM, "2")),
                Integer.parseInt(s.getOrDefault(MAX_PARALLELISM, "128")),
                s.getOrDefault(
                        CHECKPOINT_DIR,
                        Path.of("data", "checkpoints").toAbsolutePath().toUri().toString()),
                Duration.parse(s.getOrDefault(CHECKPOINT_INTERVAL, "PT1.5S")),
                Duration.parse(s.getOrDefault(HORIZON, "P90D")),
                Integer.parseInt(s.getOrDefault(HISTORY_CAP, "1000")),
                Duration.parse(s.getOrDefault(MAX_FUTURE_SKEW, "PT5M")),
                Duration.parse(s.getOrDefault(OUT_OF_ORDERNESS, "PT5S")),
                Duration.parse(s.getOrDefault(IDLENESS, "PT30S")),
                s.getOrDefault(TRANSACTIONAL_ID_PREFIX, "cohortflow-memberships"),
                Duration.parse(s.getOrDefault(TRANSACTION_TIMEOUT, "PT10M")),
                s.getOrDefault(BOOTSTRAP_MANIFEST, ""),
                Integer.parseInt(
                        s.getOrDefault(
                                POISON_ATTEMPTS,
                                Integer.toString(SegmentationSettings.DEFAULT_POISON_ATTEMPTS))),
                eventLimits(s),
                Duration.parse(
                        s.getOrDefault(
                                IDEMPOTENCY_WINDOW,
                                SegmentationSettings.DEFAULT_IDEMPOTENCY_WINDOW.toString())));
    }

    private static EventLimits eventLimits(Map<String, String> s) {
        EventLimits d = EventLimits.DEFAULT;
        return new EventLimits(
                intOr(s, MAX_NAME_LENGTH, d.maxNameLength()),
                intOr(s, MAX_KEY_LENGTH, d.maxKeyLength()),
                intOr(s, MAX_STRING_LENGTH, d.maxStringLength()),
                intOr(s, MAX_VALUES, d.maxValues()),
                intOr(s, MAX_DEPTH, d.maxDepth()),
                intOr(s, MAX_EVENT_CHARS, d.maxEventChars()));
    }

    private static int intOr(Map<String, String> s, String key, int fallback) {
        String v = s.get(key);
        return v == null ? fallback : Integer.parseInt(v.trim());
    }

    /** A properties file (optional) overridden by {@code COHORTFLOW_*} environment variables. */
    public static Map<String, String> load(Path file, Map<String, String> env) throws IOException {
        Map<String, String> out = new HashMap<>();
        if (file != null && Files.exists(file)) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            }
            p.forEach((k, v) -> out.put(k.toString(), v.toString()));
        }
        for (String key : keys()) {
            String v = env.get(envName(key));
            if (v != null) {
                out.put(key, v);
            }
        }
        return out;
    }

    public static String envName(String key) {
        return "COHORTFLOW_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    static String[] keys() {
        return new String[] {
            BOOTSTRAP,
            GROUP_ID,
            PARALLELISM,
            MAX_PARALLELISM,
            BOOTSTRAP_MANIFEST,
            CHECKPOINT_DIR,
            CHECKPOINT_INTERVAL,
            HORIZON,
            HISTORY_CAP,
            IDEMPOTENCY_WINDOW,
            MAX_FUTURE_SKEW,
            OUT_OF_ORDERNESS,
            IDLENESS,
            TRANSACTIONAL_ID_PREFIX,
            TRANSACTION_TIMEOUT,
            POISON_ATTEMPTS,
            MAX_NAME_LENGTH,
            MAX_KEY_LENGTH,
            MAX_STRING_LENGTH,
            MAX_VALUES,
            MAX_DEPTH,
            MAX_EVENT_CHARS,
            TOPIC_DEFINITIONS,
            TOPIC_EVENTS,
            TOPIC_MEMBERSHIPS,
            TOPIC_REPLIES,
            TOPIC_DEAD_LETTER,
            TOPIC_APPLIED
        };
    }

    public EngineConfig engine() {
        return new EngineConfig(horizon, historyCap, maxFutureSkew);
    }
}
