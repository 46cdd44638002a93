package io.cohortflow.job;

import io.cohortflow.core.config.Settings;
import io.cohortflow.job.backfill.Cutover;
import io.cohortflow.job.kafka.KafkaConnectors;
import io.cohortflow.job.model.AudienceDelta;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topology, in one screen. Sources and sinks are arguments: {@link #main} plugs in Kafka, tests
 * plug in finite sources and collecting sinks.
 *
 * <pre>
 * events (Kafka) --keyBy user--> Segmentation (broadcast: definitions) --> memberships (EOS)
 *                                   |          \--> replies straight to their replica,
 *                                   |               else: replies, dead letters, applied (ALO)
 *                                   \--> changes summed per segment and minute
 *                                         --keyBy segment--> Audiences --> audiences (EOS)
 * </pre>
 */
public final class CohortflowJob {
    private static final Logger LOG = LoggerFactory.getLogger(CohortflowJob.class);

    private final Source<Inbound, ?, ?> events;
    private final Source<DefinitionUpdate, ?, ?> definitions;
    private final Sink<KafkaMessage> memberships;
    private final Sink<KafkaMessage> audiences;
    private final Sink<KafkaMessage> side;
    private final JobConfig config;
    private final SegmentationFunction function;

    public CohortflowJob(
            Source<Inbound, ?, ?> events,
            Source<DefinitionUpdate, ?, ?> definitions,
            Sink<KafkaMessage> memberships,
            Sink<KafkaMessage> audiences,
            Sink<KafkaMessage> side,
            JobConfig config,
            SegmentationFunction function) {
        this.events = events;
        this.definitions = definitions;
        this.memberships = memberships;
        this.audiences = audiences;
        this.side = side;
        this.config = config;
        this.function = function;
    }

    public void build(StreamExecutionEnvironment env) {
        DataStream<Inbound> in =
                env.fromSource(events, eventTime(config), "Events")
                        .uid(Uids.EVENTS_SOURCE)
                        .name("Events");
        DataStream<DefinitionUpdate> defs =
                env.fromSource(definitions, neverHoldsBackWatermarks(), "Definitions")
                        .uid(Uids.DEFINITIONS_SOURCE)
                        .name("Definitions")
                        .setParallelism(1)
                        .broadcast();
        SingleOutputStreamOperator<KafkaMessage> segmented =
                in.keyBy(Inbound::getKey)
                        .connect(defs)
                        .transform(
                                "Segmentation",
                                TypeInformation.of(KafkaMessage.class),
                                new SegmentationOperator(
                                        function, config.audiences(), IdleTime.of(config)))
                        .uid(Uids.SEGMENTATION)
                        .name("Segmentation");
        // The memberships sink stays chained to the operator: 18 records an event at 1 000
        // segments would cost their serialization through the network stack otherwise.
        segmented.sinkTo(memberships).uid(Uids.MEMBERSHIPS_SINK).name("Memberships (exactly once)");
        if (config.audiences()) {
            segmented
                    .getSideOutput(Descriptors.AUDIENCE)
                    .keyBy(AudienceDelta::key)
                    .process(
                            new AudienceFunction(
                                    config.topics().audiences(),
                                    config.audienceSeriesInterval().toMillis()))
                    .uid(Uids.AUDIENCES)
                    .name("Audiences")
                    .sinkTo(audiences)
                    .uid(Uids.AUDIENCES_SINK)
                    .name("Audiences (exactly once)");
        }
        // A reply whose replica named its listener goes there; what cannot goes on to the topics.
        segmented
                .getSideOutput(Descriptors.SIDE)
                .process(new DirectReplies())
                .uid(Uids.DIRECT_REPLIES)
                .name("Replies straight to their replica")
                .sinkTo(side)
                .uid(Uids.SIDE_SINK)
                .name("Replies, dead letters, applied (at least once)");
    }

    /**
     * Event time from the events, bounded out-of-orderness; a partition idle for the idleness
     * period follows the wall clock (see {@link IdleAwareWatermarks}), so lapses happen on time
     * without traffic. A timestamp far in the future (a bad client clock) is clamped to the wall
     * clock plus the allowed skew, so one bad event cannot fire everybody's timers early.
     */
    static WatermarkStrategy<Inbound> eventTime(JobConfig c) {
        long skew = c.maxFutureSkew().toMillis();
        IdleTime idle = IdleTime.of(c); // the strategy is serialized: no config
        return WatermarkStrategy.<Inbound>forGenerator(
                        ctx -> new IdleAwareWatermarks(idle, System::currentTimeMillis))
                .withTimestampAssigner(
                        (in, ts) -> Math.min(in.eventTime, System.currentTimeMillis() + skew));
    }

    /**
     * Definitions carry no event time: the broadcast side declares itself idle, so the operator's
     * watermark is the events' alone. (Emitting a maximal watermark instead would release every
     * timer whenever the events go idle.)
     */
    static WatermarkStrategy<DefinitionUpdate> neverHoldsBackWatermarks() {
        return WatermarkStrategy.forGenerator(
                ctx ->
                        new WatermarkGenerator<>() {
                            @Override
                            public void onEvent(DefinitionUpdate u, long ts, WatermarkOutput out) {}

                            @Override
                            public void onPeriodicEmit(WatermarkOutput out) {
                                out.markIdle();
                            }
                        });
    }

    /**
     * The Flink configuration the job needs: RocksDB with incremental checkpoints, exactly-once
     * checkpointing, no Kryo fallback, records handed between chained operators without copies.
     */
    public static Configuration flinkConfiguration(JobConfig c) {
        Configuration f = new Configuration();
        f.setString("state.backend.type", "rocksdb");
        f.setString("execution.checkpointing.incremental", "true");
        // Every event gets its user's profile: a Bloom filter per SST file lets a get skip the
        // files that do not hold the key (most of them, and all of them for a new user).
        f.setString("state.backend.rocksdb.use-bloom-filter", "true");
        // No compression in the two upper levels, where every event's rewrite of its user's
        // profile lands and is compacted again within seconds: Snappy there was most of RocksDB's
        // background CPU (JobBench at 1 000 definitions, 2026-12-06: 11.6-13.8 µs of the flushes'
        // and compactions' CPU per event with it, 3.5-3.9 without; the process 61-72 µs against
        // 52-55), and profiles barely compress. The deeper levels, where a large state's bulk
        // (older history chunks) settles and is rewritten seldom, stay compressed.
        f.setString(
                "state.backend.rocksdb.compression.per.level",
                "NO_COMPRESSION;NO_COMPRESSION;SNAPPY_COMPRESSION");
        // What Flink has no key for: atomic flushes (a checkpoint's pause) and a bounded manifest.
        f.setString("state.backend.rocksdb.options-factory", RocksDbOptions.class.getName());
        // State size where operators look for it (the dashboard's state panel): RocksDB's own
        // estimates, read from its properties, cheap at the reporter's interval.
        f.setString("state.backend.rocksdb.metrics.estimate-num-keys", "true");
        f.setString("state.backend.rocksdb.metrics.estimate-live-data-size", "true");
        f.setString("state.backend.rocksdb.metrics.total-sst-files-size", "true");
        // Unset, a cluster's own setting (the Kubernetes manifest's volume) stays in force.
        if (!c.stateLocalDir().isEmpty()) {
            f.setString("state.backend.rocksdb.localdir", c.stateLocalDir());
        }
        f.setString("execution.checkpointing.dir", c.checkpointDir());
        // Set either way, so that the job's setting wins over a cluster's.
        f.setString("state.changelog.enabled", Boolean.toString(c.stateChangelog()));
        if (c.stateChangelog()) {
            // The changes go where the checkpoints go; RocksDB is materialized in the background
            // (Flink's default, every 10 minutes), which a restore then replays the log onto.
            // These two reach the task managers of a mini cluster (the launcher, the tests) only:
            // a cluster's task managers create the log's storage from their own configuration,
            // and without these keys there keep it in memory and in every checkpoint's metadata
            // (the rehearsal's logs showed it), so every deployment sets them (docker/, k8s/).
            f.setString("state.changelog.storage", "filesystem");
            f.setString(
                    "state.changelog.dstl.dfs.base-path",
                    c.checkpointDir().replaceAll("/+$", "") + "/changelog");
            // A restore in Flink's default NO_CLAIM mode needs a full first checkpoint, which the
            // changelog cannot take: every checkpoint after it fails, and the memberships, which
            // commit with checkpoints, never appear (RecoveryTest, the rehearsal's restarts). So
            // every restore claims its snapshot, whoever asked for it (`flink run -s`, the
            // operator, the launcher): Flink owns it and deletes it once newer ones subsume it.
            f.setString("execution.state-recovery.claim-mode", "CLAIM");
        }
        f.setString("execution.checkpointing.interval", c.checkpointInterval().toMillis() + " ms");
        f.setString("execution.checkpointing.mode", "EXACTLY_ONCE");
        f.setString(
                "execution.checkpointing.externalized-checkpoint-retention",
                "RETAIN_ON_CANCELLATION");
        f.setString("pipeline.generic-types", "false");
        // The operator's records go on to chained sinks: without reuse each one is deep-copied on
        // the way (3 % of the operator's thread at 1 000 definitions, 18 records per event). No
        // function of the job keeps or changes a record after handing it on.
        f.setString("pipeline.object-reuse", "true");
        // Replies wait on this pipeline: flush buffers quickly rather than fill them.
        f.setString("execution.buffer-timeout.interval", "5 ms");
        f.setString("parallelism.default", Integer.toString(c.parallelism()));
        f.setString("pipeline.max-parallelism", Integer.toString(c.maxParallelism()));
        return f;
    }

    /**
     * The job on Kafka. With a backfill's cut-over (setting {@link JobConfig#BOOTSTRAP_MANIFEST}),
     * it skips the events the backfill counted and, started from the backfill's savepoint, reads
     * the events topic from the cut-over's offsets.
     */
    public static CohortflowJob onKafka(JobConfig c) throws IOException {
        Cutover cutover = cutover(c);
        SegmentationSettings settings =
                SegmentationSettings.of(c, KafkaConnectors.definitionsEndOffset(c), true);
        if (cutover != null) {
            settings =
                    settings.countingFrom(cutover.cutoverMillis()).numberedAs(cutover.numbering());
        }
        return new CohortflowJob(
                KafkaConnectors.events(c, cutover),
                KafkaConnectors.definitions(c),
                KafkaConnectors.memberships(c),
                KafkaConnectors.audiences(c),
                KafkaConnectors.side(c),
                c,
                new SegmentationFunction(settings));
    }

    /** The backfill's cut-over this job was bootstrapped from, if any (checked to fit). */
    @Nullable
    public static Cutover cutover(JobConfig c) throws IOException {
        if (c.bootstrapManifest().isEmpty()) {
            return null;
        }
        Cutover cutover = Cutover.read(c.bootstrapManifest());
        if (cutover.maxParallelism() != c.maxParallelism()
                || !cutover.eventsTopic().equals(c.topics().events())) {
            throw new IllegalArgumentException(
                    "the bootstrap savepoint was written for max parallelism "
                            + cutover.maxParallelism()
                            + " and topic "
                            + cutover.eventsTopic()
                            + "; this job has "
                            + c.maxParallelism()
                            + " and "
                            + c.topics().events());
        }
        return cutover;
    }

    /**
     * Runs the job against Kafka. Settings (docs/configuration.md): environment variables over the
     * properties file (the first argument, else {@code cohortflow.properties} when present) over
     * Flink's configuration ({@code -Dcohortflow.job.parallelism=4}) over the defaults. To start
     * from a backfill, submit with its savepoint ({@code flink run -s <savepoint>}) and set {@code
     * cohortflow.job.bootstrap} to its cut-over file.
     */
    public static void main(String[] args) throws Exception {
        Path file = Path.of(args.length > 0 ? args[0] : "cohortflow.properties");
        Map<String, String> properties =
                args.length > 0 || Files.exists(file) ? Settings.readProperties(file) : Map.of();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        Settings settings =
                FlinkSettings.layered(
                        env.getConfiguration(), JobConfig.ALL, properties, System.getenv());
        JobConfig c = JobConfig.from(settings);
        JobConfig.warnings(settings).forEach(LOG::warn);
        env.configure(flinkConfiguration(c));
        onKafka(c).build(env);
        env.execute("cohortflow");
    }
}
