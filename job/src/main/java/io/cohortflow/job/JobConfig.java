package io.cohortflow.job;

import static io.cohortflow.core.config.CommonSettings.HORIZON;
import static io.cohortflow.core.config.CommonSettings.KAFKA_BOOTSTRAP_SERVERS;
import static io.cohortflow.core.config.CommonSettings.MAX_FUTURE_SKEW;

import io.cohortflow.core.config.CommonSettings;
import io.cohortflow.core.config.Setting;
import io.cohortflow.core.config.Settings;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.event.EventLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The job's settings, read through the one vocabulary of {@link Settings} (docs/configuration.md):
 * keys {@code cohortflow.job.*}, {@code cohortflow.state.*}, {@code cohortflow.events.*} and the
 * shared ones of {@link CommonSettings}; each overridden by its environment variable ({@code
 * cohortflow.job.parallelism} by {@code COHORTFLOW_JOB_PARALLELISM}). The job's keys before this
 * scheme ({@code job.parallelism}) are read as deprecated names, and the environment variables of
 * those keys are the same as now but for the broker ({@code COHORTFLOW_KAFKA_BOOTSTRAP}, now {@code
 * COHORTFLOW_KAFKA_BOOTSTRAP_SERVERS}).
 */
public record JobConfig(
        String bootstrap,
        TopicNames topics,
        String groupId,
        int parallelism,
        int maxParallelism,
        String checkpointDir,
        Duration checkpointInterval,
        String stateLocalDir,
        boolean stateChangelog,
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
        Duration idempotencyWindow,
        Duration audienceSeriesInterval,
        boolean audiences,
        Duration userTtl,
        Map<String, Duration> workspaceUserTtl) {

    public static final Setting<String> GROUP_ID =
            Setting.text(
                            "cohortflow.job.group-id",
                            "cohortflow-job",
                            "The job's Kafka consumer group (offsets live in checkpoints; the"
                                    + " group only shows progress to Kafka tools).")
                    .deprecated("job.group-id");

    public static final Setting<Integer> PARALLELISM =
            Setting.integer(
                            "cohortflow.job.parallelism",
                            2,
                            1,
                            32_768,
                            "Subtasks of the job; at most the events topic's partitions are"
                                    + " useful.")
                    .deprecated("job.parallelism");

    /**
     * Key groups: the most subtasks the job can ever scale to. Savepoints (and the backfill's
     * bootstrap savepoint) only restore into a job with the same value.
     */
    public static final Setting<Integer> MAX_PARALLELISM =
            Setting.integer(
                            "cohortflow.job.max-parallelism",
                            128,
                            1,
                            32_768,
                            "Key groups: the most subtasks the job can ever scale to; savepoints"
                                    + " restore only into a job with the same value.")
                    .deprecated("job.max-parallelism");

    /**
     * A backfill's cut-over file ({@code cohortflow-cutover.json}): events before its instant are
     * skipped (the backfill counted them) and, when the job starts without state of its own, it
     * reads the events topic from the offsets the file names.
     */
    /**
     * The running job's Flink REST endpoint, for commands that ask it for a savepoint (the members
     * export). The launcher sets it to its mini cluster's.
     */
    public static final Setting<String> FLINK_REST_URL =
            Setting.text(
                    "cohortflow.job.flink-rest-url",
                    "",
                    "The running job's Flink REST endpoint (e.g. http://jobmanager:8081): the"
                            + " members export takes a savepoint through it; empty: it reads the"
                            + " newest checkpoint instead.");

    public static final Setting<String> BOOTSTRAP_MANIFEST =
            Setting.text(
                            "cohortflow.job.bootstrap",
                            "",
                            "A backfill's cut-over file: the job skips the events the backfill"
                                    + " counted and, started without state, reads the events"
                                    + " topic from the offsets it names (docs/backfill.md).")
                    .deprecated("job.bootstrap");

    public static final Setting<String> CHECKPOINT_DIR =
            Setting.text(
                            "cohortflow.job.checkpoint-dir",
                            "data/checkpoints",
                            "Where checkpoints go: a URI (file:, s3:) or a local path, relative"
                                    + " to the working directory.")
                    .deprecated("job.checkpoint-dir");

    public static final Setting<Duration> CHECKPOINT_INTERVAL =
            Setting.duration(
                            "cohortflow.job.checkpoint-interval",
                            Duration.ofMillis(1_500),
                            false,
                            "How often the job checkpoints; memberships become visible to"
                                    + " read_committed consumers at each checkpoint.")
                    .deprecated("job.checkpoint-interval");

    public static final Setting<String> STATE_LOCAL_DIR =
            Setting.text(
                    "cohortflow.job.state-local-dir",
                    "",
                    "RocksDB's working directory on each task manager (empty: the task manager's"
                            + " temporary directories). Rebuilt from the last checkpoint after a"
                            + " failure and never read back, so a memory-backed one (tmpfs) is"
                            + " safe, and it keeps the disk's sync out of every checkpoint's"
                            + " pause of the segmentation task; it then holds the whole state in"
                            + " memory (docs/operations.md).");

    public static final Setting<Boolean> STATE_CHANGELOG =
            Setting.bool(
                    "cohortflow.job.state-changelog",
                    true,
                    "Flink's changelog state backend over RocksDB: a checkpoint uploads the state's"
                            + " changes (under the checkpoint directory, in changelog/) instead of"
                            + " flushing RocksDB, so it pauses the segmentation task for about 5 ms"
                            + " instead of 20-60 and synchronous requests wait less (docs/job.md,"
                            + " \"Configuration\"); every state write is then also logged. false:"
                            + " RocksDB's own incremental checkpoints alone.");

    public static final Setting<Integer> HISTORY_CAP =
            Setting.integer(
                            "cohortflow.state.history-cap",
                            EngineConfig.DEFAULT.historyCap(),
                            1,
                            1_000_000,
                            "The most events kept per user; beyond it the oldest are dropped.")
                    .deprecated("state.history-cap");

    /** How long the job keeps a request's answer for a retry with the same idempotency key. */
    public static final Setting<Duration> IDEMPOTENCY_WINDOW =
            Setting.duration(
                            "cohortflow.state.idempotency-window",
                            SegmentationSettings.DEFAULT_IDEMPOTENCY_WINDOW,
                            false,
                            "How long a request's answer is kept for a retry with the same"
                                    + " Idempotency-Key.")
                    .deprecated("state.idempotency-window");

    public static final Setting<Duration> OUT_OF_ORDERNESS =
            Setting.duration(
                            "cohortflow.events.out-of-orderness",
                            Duration.ofSeconds(5),
                            true,
                            "How late an event may arrive behind the newest one and still count"
                                    + " before windows close (the watermark's lag).")
                    .deprecated("events.out-of-orderness");

    public static final Setting<Duration> IDLENESS =
            Setting.duration(
                            "cohortflow.events.idleness",
                            Duration.ofSeconds(30),
                            false,
                            "After this long without events, event time follows the wall clock"
                                    + " so lapses happen on an idle stream.")
                    .deprecated("events.idleness");

    public static final Setting<String> TRANSACTIONAL_ID_PREFIX =
            Setting.text(
                            "cohortflow.kafka.transactional-id-prefix",
                            "cohortflow-memberships",
                            "Prefix of the exactly-once sink's transactional ids: unique per job"
                                    + " on a cluster.")
                    .deprecated("kafka.transactional-id-prefix");

    public static final Setting<Duration> TRANSACTION_TIMEOUT =
            Setting.duration(
                            "cohortflow.kafka.transaction-timeout",
                            Duration.ofMinutes(10),
                            false,
                            "The memberships sink's transaction timeout: at most the broker's"
                                    + " transaction.max.timeout.ms, longer than a restart.")
                    .deprecated("kafka.transaction-timeout");

    /** Times a record may fail the task before the job skips it to the dead-letter topic. */
    public static final Setting<Integer> POISON_ATTEMPTS =
            Setting.integer(
                            "cohortflow.job.poison-attempts",
                            SegmentationSettings.DEFAULT_POISON_ATTEMPTS,
                            1,
                            100,
                            "Times a record may fail the task before the job sends it to the"
                                    + " dead-letter topic and goes on.")
                    .deprecated("job.poison-attempts");

    public static final Setting<Duration> AUDIENCE_SERIES_INTERVAL =
            Setting.duration(
                    "cohortflow.job.audience-series-interval",
                    Duration.ofMillis(AudienceFunction.SERIES_INTERVAL_MILLIS),
                    false,
                    "How often, at most, a segment's entered/exited series are published to the"
                            + " audiences topic (its size goes out with every change).");

    public static final Setting<Boolean> AUDIENCES =
            Setting.bool(
                    "cohortflow.job.audiences",
                    true,
                    "Count each segment's audience (size, entered/exited series) on the audiences"
                            + " topic. Off, the job does no counting and GET"
                            + " /segments/{id}/audience answers nothing counted.");

    public static final Setting<Duration> USER_TTL =
            Setting.duration(
                    "cohortflow.state.user-ttl",
                    Duration.ZERO,
                    true,
                    "How long a user with no new event is kept: past it (event time) their state"
                            + " is removed and their memberships exit. 0 keeps users for ever;"
                            + " cohortflow.job.workspace.<org>.user-ttl sets it per workspace.");

    /**
     * Settings of one workspace: {@code cohortflow.job.workspace.<org>.user-ttl} (properties only:
     * a variable's name cannot spell every org).
     */
    public static final String WORKSPACE = "cohortflow.job.workspace.";

    /** The job's own settings, without the shared ones of {@link CommonSettings}. */
    public static final List<Setting<?>> OWN =
            List.of(
                    GROUP_ID,
                    PARALLELISM,
                    MAX_PARALLELISM,
                    BOOTSTRAP_MANIFEST,
                    CHECKPOINT_DIR,
                    CHECKPOINT_INTERVAL,
                    STATE_LOCAL_DIR,
                    STATE_CHANGELOG,
                    HISTORY_CAP,
                    IDEMPOTENCY_WINDOW,
                    OUT_OF_ORDERNESS,
                    IDLENESS,
                    TRANSACTIONAL_ID_PREFIX,
                    TRANSACTION_TIMEOUT,
                    POISON_ATTEMPTS,
                    AUDIENCE_SERIES_INTERVAL,
                    AUDIENCES,
                    USER_TTL,
                    FLINK_REST_URL);

    /** Every setting the job reads. */
    public static final List<Setting<?>> ALL = concat(CommonSettings.ALL, OWN);

    static List<Setting<?>> concat(List<Setting<?>> a, List<Setting<?>> b) {
        List<Setting<?>> all = new ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }

    public static JobConfig defaults() {
        return from(Settings.empty());
    }

    /** Properties given as a map (tests, the benchmarks), no environment. */
    public static JobConfig from(Map<String, String> properties) {
        return from(Settings.of(properties));
    }

    /**
     * What a process reading the job's settings warns of at start: deprecated keys used, and keys
     * or {@code COHORTFLOW_*} variables that are no setting of it (a typo keeps the default
     * silently otherwise). The job, the backfill and the members export say the same.
     */
    public static List<String> warnings(Settings s) {
        // COHORTFLOW_VERBOSE is the commands' (CommandErrors), set in the same shells.
        return s.warnings(ALL, List.of("COHORTFLOW_JAVA_OPTS", WORKSPACE, CommandErrors.VERBOSE));
    }

    public static JobConfig from(Settings s) {
        transactionsOutliveCheckpoints(s.get(TRANSACTION_TIMEOUT), s.get(CHECKPOINT_INTERVAL));
        return new JobConfig(
                s.get(KAFKA_BOOTSTRAP_SERVERS),
                CommonSettings.topics(s),
                s.get(GROUP_ID),
                s.get(PARALLELISM),
                s.get(MAX_PARALLELISM),
                uri(s.get(CHECKPOINT_DIR)),
                s.get(CHECKPOINT_INTERVAL),
                s.get(STATE_LOCAL_DIR),
                s.get(STATE_CHANGELOG),
                s.get(HORIZON),
                s.get(HISTORY_CAP),
                s.get(MAX_FUTURE_SKEW),
                s.get(OUT_OF_ORDERNESS),
                s.get(IDLENESS),
                s.get(TRANSACTIONAL_ID_PREFIX),
                s.get(TRANSACTION_TIMEOUT),
                s.get(BOOTSTRAP_MANIFEST),
                s.get(POISON_ATTEMPTS),
                CommonSettings.eventLimits(s),
                s.get(IDEMPOTENCY_WINDOW),
                s.get(AUDIENCE_SERIES_INTERVAL),
                s.get(AUDIENCES),
                s.get(USER_TTL),
                workspaceUserTtl(s));
    }

    /**
     * Kafka takes the transaction timeout as an int of milliseconds, and a transaction open longer
     * than it is aborted by the broker: one that cannot outlive a checkpoint interval would fail
     * the sink at every checkpoint, inside the running job. Both are named at start instead.
     */
    private static void transactionsOutliveCheckpoints(Duration timeout, Duration interval) {
        if (timeout.toMillis() > Integer.MAX_VALUE) {
            throw new io.cohortflow.core.config.InvalidSettingException(
                    TRANSACTION_TIMEOUT.key()
                            + " must be at most "
                            + Integer.MAX_VALUE
                            + " ms (Kafka's limit), got "
                            + timeout);
        }
        if (interval.compareTo(timeout) >= 0) {
            throw new io.cohortflow.core.config.InvalidSettingException(
                    CHECKPOINT_INTERVAL.key()
                            + " ("
                            + interval
                            + ") must be shorter than "
                            + TRANSACTION_TIMEOUT.key()
                            + " ("
                            + timeout
                            + "): a transaction stays open from one checkpoint to the next");
        }
    }

    /**
     * The workspaces named in {@code cohortflow.job.workspace.<org>.user-ttl} keys, each read as a
     * setting of its own, so a bad value is named like any other.
     */
    private static Map<String, Duration> workspaceUserTtl(Settings s) {
        Map<String, Duration> out = new java.util.TreeMap<>();
        for (String key : s.withPrefix(WORKSPACE).keySet()) {
            if (!key.endsWith(".user-ttl") || key.length() <= WORKSPACE.length() + 9) {
                throw new io.cohortflow.core.config.InvalidSettingException(
                        key + ": a workspace's job setting is user-ttl");
            }
            String org = key.substring(WORKSPACE.length(), key.length() - ".user-ttl".length());
            out.put(org, s.get(Setting.duration(key, Duration.ZERO, true, "")));
        }
        return Map.copyOf(out);
    }

    /** How long a user of {@code workspace} with no new event is kept; zero for ever. */
    public Duration userTtl(String workspace) {
        return workspaceUserTtl.getOrDefault(workspace, userTtl);
    }

    /** A URI as it is; a local path as the absolute {@code file:} URI Flink wants. */
    static String uri(String location) {
        return location.matches("[a-zA-Z][a-zA-Z0-9+.-]*:.*")
                ? location
                : Path.of(location).toAbsolutePath().toUri().toString();
    }

    /**
     * Where the processes beside the job look for its newest snapshot (the launcher restarting it,
     * the members export) and where the launcher writes its stop savepoints: the checkpoint
     * directory and the {@code savepoints} directory beside it, when the checkpoint directory is
     * local (a {@code file:} URI); empty otherwise (an {@code s3://} one: name the snapshot).
     */
    public List<Path> localSnapshotDirs() {
        if (!checkpointDir.startsWith("file:")) {
            return List.of();
        }
        Path checkpoints = Path.of(java.net.URI.create(checkpointDir));
        return List.of(checkpoints, checkpoints.resolveSibling("savepoints"));
    }

    public EngineConfig engine() {
        return new EngineConfig(horizon, historyCap, maxFutureSkew);
    }
}
