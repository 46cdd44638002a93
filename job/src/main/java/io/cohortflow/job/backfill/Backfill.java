package io.cohortflow.job.backfill;

import io.cohortflow.core.contract.EventEnvelope;
import io.cohortflow.core.event.EventLimits;
import io.cohortflow.job.CohortflowJob;
import io.cohortflow.job.CommandErrors;
import io.cohortflow.job.Descriptors;
import io.cohortflow.job.JobConfig;
import io.cohortflow.job.SegmentationFunction;
import io.cohortflow.job.SegmentationSettings;
import io.cohortflow.job.Uids;
import io.cohortflow.job.kafka.KafkaConnectors;
import io.cohortflow.job.model.AudienceDelta;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import io.cohortflow.job.model.UserState;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.OperatorTransformation;
import org.apache.flink.state.api.SavepointWriter;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;

/**
 * The backfill, in one screen: the streaming job's operator run in BATCH mode over history.
 *
 * <pre>
 * history files --keyBy user--> Segmentation (batch; broadcast: definitions, read first)
 *     --> memberships as of the end (files, optionally the topic)
 *     --> transitions (files, optional), dead letters (files, optionally the topic)
 *     --> every user's state, each segment's members --> bootstrap savepoint (optional)
 * </pre>
 *
 * Batch mode sorts each user's events by time (records at one instant are evaluated in the input's
 * order: docs/backfill.md, "Ties") and fires a user's timers once the user's events are done; the
 * operator applies lapses up to the end of history and leaves later ones, as timers in the
 * savepoint, to the streaming job.
 */
public final class Backfill {
    /** The streaming operator's uid: the savepoint's state must land on it. */
    static final String STREAMING_OPERATOR = io.cohortflow.job.Uids.SEGMENTATION;

    static final String MEMBERSHIPS = "memberships";
    static final String DEAD_LETTERS = "dead-letters";
    static final String TRANSITIONS = "transitions";

    /** The directories a run writes under {@code --output}. */
    static final List<String> OUTPUTS = List.of(MEMBERSHIPS, DEAD_LETTERS, TRANSITIONS);

    private final History history;
    private final Source<DefinitionUpdate, ?, ?> definitions;
    private final Output memberships;
    @Nullable private final Sink<KafkaMessage> transitions;
    private final Sink<KafkaMessage> deadLetters;
    @Nullable private final Sink<KafkaMessage> publish;
    @Nullable private final String savepoint;
    private final BackfillOptions options;
    private final JobConfig config;

    /** Where the history comes from: files of envelopes, or a table through the Table API. */
    @FunctionalInterface
    public interface History {
        DataStream<Inbound> read(StreamExecutionEnvironment env);

        /** JSON lines files of event envelopes (plain or compressed). */
        static History files(List<String> inputs, EventLimits limits) {
            return env ->
                    env.fromSource(
                                    BackfillFiles.historyFiles(inputs, limits),
                                    eventTimestamps(),
                                    "History")
                            .uid("history-source");
        }

        /** A table and its mapping to events, in SQL ({@link TableHistory}). */
        static History table(String sql, @Nullable String workspace, EventLimits limits) {
            return env ->
                    TableHistory.read(env, sql, workspace, limits)
                            .assignTimestampsAndWatermarks(eventTimestamps())
                            .uid("history-table");
        }
    }

    /** Where the memberships as of the end go: a sink of JSON lines, or a table of a format. */
    @FunctionalInterface
    public interface Output {
        void write(DataStream<KafkaMessage> records);

        static Output sink(Sink<KafkaMessage> sink) {
            return records ->
                    records.sinkTo(sink).uid("memberships-sink").name("Memberships as of the end");
        }

        /** Through the Table API, as {@code csv}, {@code parquet} or {@code json} files. */
        static Output table(String dir, String format) {
            return records -> MembershipTable.write(records, dir, format);
        }
    }

    public Backfill(
            History history,
            Source<DefinitionUpdate, ?, ?> definitions,
            Output memberships,
            @Nullable Sink<KafkaMessage> transitions,
            Sink<KafkaMessage> deadLetters,
            @Nullable Sink<KafkaMessage> publish,
            @Nullable String savepoint,
            BackfillOptions options,
            JobConfig config) {
        this.history = history;
        this.definitions = definitions;
        this.memberships = memberships;
        this.transitions = transitions;
        this.deadLetters = deadLetters;
        this.publish = publish;
        this.savepoint = savepoint;
        this.options = options;
        this.config = config;
    }

    public void build(StreamExecutionEnvironment env) {
        String workspace = options.workspace();
        DataStream<Inbound> events =
                history.read(env)
                        .filter(
                                in ->
                                        workspace == null
                                                || !in.valid()
                                                || workspace.equals(in.workspace))
                        .uid("workspace-filter")
                        .name("Workspace " + (workspace == null ? "(all)" : workspace));
        BroadcastStream<DefinitionUpdate> defs =
                env.fromSource(definitions, WatermarkStrategy.noWatermarks(), "Definitions")
                        .uid("definitions-source")
                        .setParallelism(1)
                        .broadcast(Descriptors.DEFINITIONS, Descriptors.PROGRESS);
        SegmentationSettings settings =
                SegmentationSettings.backfill(config, options.from(), options.until());
        SingleOutputStreamOperator<KafkaMessage> segmented =
                events.keyBy(Inbound::getKey)
                        .connect(defs)
                        .process(new SegmentationFunction(settings))
                        .uid("backfill-segmentation")
                        .name("Segmentation (batch)");
        DataStream<KafkaMessage> snapshot = segmented.getSideOutput(Descriptors.SNAPSHOT);
        memberships.write(snapshot);
        if (transitions != null) {
            segmented.sinkTo(transitions).uid("transitions-sink").name("Transitions");
        }
        String deadLetterTopic = config.topics().deadLetter();
        DataStream<KafkaMessage> dead =
                segmented
                        .getSideOutput(Descriptors.SIDE)
                        .filter(m -> m.topic.equals(deadLetterTopic)) // not applied reports
                        .uid("dead-letter-filter");
        dead.sinkTo(deadLetters).uid("dead-letter-sink").name("Dead letters");
        if (publish != null) {
            // Each message names its topic: memberships and dead letters share one sink.
            snapshot.union(dead).sinkTo(publish).uid("publish-sink").name("Kafka");
        }
        if (savepoint != null) {
            writeSavepoint(
                    env,
                    segmented.getSideOutput(Descriptors.STATE),
                    snapshot.map(AudienceBootstrap::held).uid("audience-held").name("Held"),
                    savepoint);
        }
    }

    /**
     * Every user's state under the streaming operator's uid, and each segment's audience (its
     * members at the end) under the audience counts', in the streaming job's key groups.
     */
    private void writeSavepoint(
            StreamExecutionEnvironment env,
            DataStream<UserState> states,
            DataStream<AudienceDelta> held,
            String path) {
        SavepointWriter writer =
                SavepointWriter.newSavepoint(env, config.maxParallelism())
                        .withOperator(
                                OperatorIdentifier.forUid(STREAMING_OPERATOR),
                                OperatorTransformation.bootstrapWith(states)
                                        .setMaxParallelism(config.maxParallelism())
                                        .keyBy(UserState::getKey, Types.STRING)
                                        .transform(new StateWriter()));
        if (config.audiences()) {
            // A job without audience counting has no such operator, and would refuse the
            // savepoint's state for it.
            writer =
                    writer.withOperator(
                            OperatorIdentifier.forUid(Uids.AUDIENCES),
                            OperatorTransformation.bootstrapWith(held)
                                    .setMaxParallelism(config.maxParallelism())
                                    .keyBy(AudienceDelta::key, Types.STRING)
                                    .transform(new AudienceBootstrap()));
        }
        writer.write(path);
    }

    /**
     * Batch mode needs no watermarks, but it sorts each key's records by these timestamps: events
     * by their time, an erasure after every event of its user (history has no arrival order to
     * place it by, and sorted first, as a record without events is, it would erase nothing while
     * every event it was to erase counted), other records without events first. The sort is not
     * stable: a user's records at one instant come in any order, and the operator evaluates them in
     * the input's order (file, then line: {@code BackfillTies}, docs/backfill.md "Ties").
     */
    static WatermarkStrategy<Inbound> eventTimestamps() {
        return WatermarkStrategy.<Inbound>noWatermarks()
                .withTimestampAssigner(
                        (in, ts) ->
                                EventEnvelope.ERASE.equals(in.op) ? Long.MAX_VALUE : in.eventTime);
    }

    /** The streaming job's configuration, in BATCH mode. */
    public static Configuration flinkConfiguration(JobConfig c, boolean writesSavepoint) {
        Configuration f = CohortflowJob.flinkConfiguration(c);
        f.setString("execution.runtime-mode", "BATCH");
        // A batch run takes no checkpoints, so the changelog would log every write for nothing;
        // and the savepoint's writer must write RocksDB's own state: through the changelog's
        // wrapper the bootstrapped users' timers did not reach the job (BackfillTest).
        f.setString("state.changelog.enabled", "false");
        // The adaptive batch scheduler would pick each vertex's parallelism from the data size;
        // the savepoint writer's key groups assume the parallelism the graph was built with.
        f.setString("execution.batch.adaptive.auto-parallelism.enabled", "false");
        if (writesSavepoint) {
            // The savepoint writer hands its own metadata records (TaggedOperatorSubtaskState)
            // between its operators as a generic type; every record of ours stays a POJO. Kryo's
            // field-by-field copy cannot instantiate some of the handles inside on JDK 17, but
            // they are Serializable: Java serialization moves them.
            f.setString("pipeline.generic-types", "true");
            f.setString(
                    "pipeline.serialization-config",
                    "[org.apache.flink.runtime.checkpoint.OperatorSubtaskState: {type: kryo,"
                            + " kryo-type: default,"
                            + " class: com.esotericsoftware.kryo.serializers.JavaSerializer}]");
        }
        return f;
    }

    /** JSON lines files of event envelopes (plain or compressed). */
    public static FileSource<Inbound> historyFiles(List<String> inputs, EventLimits limits) {
        return BackfillFiles.historyFiles(inputs, limits);
    }

    /** Makes {@code output} ready for a run, as {@link BackfillFiles#prepareOutput} states. */
    static void prepareOutput(String output, boolean overwrite) throws IOException {
        BackfillFiles.prepareOutput(output, overwrite);
    }

    /** Runs a backfill from its command line ({@link BackfillCommand}, docs/backfill.md). */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The backfill's command line as {@link #main} runs it, ending by {@link CommandErrors}. */
    public static CommandLine commandLine() {
        return CommandErrors.commandLine(new BackfillCommand());
    }

    /** The backfill the options describe: files, the topic or a file of definitions, sinks. */
    public static Backfill of(BackfillOptions o, JobConfig c) {
        String out = o.output();
        return new Backfill(
                o.inputTable() == null
                        ? History.files(o.inputs(), c.eventLimits())
                        : History.table(
                                BackfillFiles.readTable(o.inputTable()),
                                o.workspace(),
                                c.eventLimits()),
                o.definitionsFile() == null
                        ? KafkaConnectors.definitionsNow(c)
                        : BackfillFiles.definitionsFile(o.definitionsFile()),
                o.outputFormat().equals(BackfillOptions.JSON_LINES)
                        ? Output.sink(BackfillFiles.jsonLines(out + "/" + MEMBERSHIPS))
                        : Output.table(out + "/" + MEMBERSHIPS, o.outputFormat()),
                o.transitions() ? BackfillFiles.jsonLines(out + "/" + TRANSITIONS) : null,
                BackfillFiles.jsonLines(out + "/" + DEAD_LETTERS),
                o.publish() ? KafkaConnectors.side(c) : null,
                o.savepoint(),
                o,
                c);
    }

    /**
     * Builds and runs a backfill to completion; with a savepoint, then writes its cut-over file
     * (offsets resolved before the run, so events arriving meanwhile lie after them).
     */
    public static JobExecutionResult run(BackfillOptions o, JobConfig c, Configuration extra)
            throws Exception {
        return run(o, c, extra, () -> {});
    }

    /** What a run does once everything it reads is known to be there, before it starts. */
    @FunctionalInterface
    public interface BeforeStart {
        void run() throws IOException;
    }

    /**
     * As {@link #run(BackfillOptions, JobConfig, Configuration)}, with {@code beforeStart} (the
     * command's {@code --overwrite}: the earlier results deleted) called once the cut-over's
     * offsets are read and the definitions and inputs found, so a run that cannot start leaves them
     * as they were.
     */
    public static JobExecutionResult run(
            BackfillOptions o, JobConfig c, Configuration extra, BeforeStart beforeStart)
            throws Exception {
        Cutover cutover = null;
        if (o.savepoint() != null) {
            // A producer's record timestamp is its clock when it sent; an event is accepted up to
            // the allowed skew ahead of that clock. So every event at or after the cut-over has a
            // record timestamp after cut-over minus skew.
            long earliest = o.until() - c.maxFutureSkew().toMillis();
            Map<Integer, Long> offsets =
                    KafkaConnectors.ask(
                            c,
                            "the cut-over's offsets on " + c.topics().events(),
                            () -> KafkaConnectors.eventOffsetsAt(c, earliest));
            cutover =
                    new Cutover(
                            o.savepoint(),
                            Instant.ofEpochMilli(o.until()).toString(),
                            c.topics().events(),
                            offsets,
                            c.maxParallelism());
        } else if (o.definitionsFile() == null) {
            // The definitions source would find a broker that does not answer only inside the
            // run, a minute later, under four layers of Flink's wrappers. (With a savepoint the
            // offsets above asked the same broker.)
            KafkaConnectors.ask(
                    c,
                    "the definitions on " + c.topics().definitions(),
                    () -> KafkaConnectors.definitionsEndOffset(c));
        }
        Configuration f = flinkConfiguration(c, o.savepoint() != null);
        f.addAll(extra);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(f);
        of(o, c).build(env);
        beforeStart.run();
        JobExecutionResult result = env.execute("cohortflow-backfill");
        if (cutover != null) {
            cutover.numbered(numbering(result)).write();
        }
        return result;
    }

    /** The numbering the backfill's segmentation ran with (its first subtask's report). */
    private static Map<String, Long> numbering(JobExecutionResult result) {
        List<Map<String, Long>> reported =
                result.getAccumulatorResult(SegmentationFunction.NUMBERING);
        if (reported == null || reported.isEmpty()) {
            throw new IllegalStateException(
                    "the backfill's segmentation reported no numbering of its definitions");
        }
        return reported.get(0);
    }
}
