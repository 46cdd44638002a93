package io.cohortflow.job;

import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.event.Event;
import io.cohortflow.job.model.AudienceDelta;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import io.cohortflow.job.model.UserState;
import io.cohortflow.job.state.ChunkSerializer;
import io.cohortflow.job.state.EventSerializer;
import io.cohortflow.job.state.ProfileSerializer;
import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.util.OutputTag;

/** Every state descriptor and side output of the job, declared once for topology and tests. */
public final class Descriptors {
    private Descriptors() {}

    /** Per user: clock, counters, memberships (core's codec). */
    public static final ValueStateDescriptor<UserProfile> PROFILE =
            new ValueStateDescriptor<>("profile", ProfileSerializer.INSTANCE);

    /**
     * Per user: the history of a profile stored before history chunks, one entry per event (core's
     * {@code ProfileHistory}; empty for every other user).
     */
    public static final MapStateDescriptor<Long, Event> HISTORY =
            new MapStateDescriptor<>("history", LongSerializer.INSTANCE, EventSerializer.INSTANCE);

    /**
     * Per user: the sealed chunks of their history by chunk id, up to 32 events (about 4 KB) each
     * (the open chunk is in the profile; core's {@code ProfileHistory}), each value core's {@code
     * EventChunk}, or a list a state restored into the heap held before.
     */
    public static final MapStateDescriptor<Long, List<Event>> HISTORY_CHUNKS =
            new MapStateDescriptor<>(
                    "history-chunks", LongSerializer.INSTANCE, ChunkSerializer.INSTANCE);

    /**
     * Per user: the cohorts answered to each request that carried an idempotency key, by key, kept
     * for {@code window} after the answer (state time-to-live in processing time; RocksDB drops
     * expired entries as it compacts, and an expired one is never read).
     */
    public static MapStateDescriptor<String, List<String>> answeredRequests(Duration window) {
        MapStateDescriptor<String, List<String>> d =
                new MapStateDescriptor<>(
                        "answered-requests", Types.STRING, Types.LIST(Types.STRING));
        d.enableTimeToLive(
                StateTtlConfig.newBuilder(window)
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                        .cleanupInRocksdbCompactFilter(1000)
                        .build());
        return d;
    }

    /** Broadcast: workspace/segment to the record applied for it. */
    public static final MapStateDescriptor<String, DefinitionUpdate> DEFINITIONS =
            new MapStateDescriptor<>(
                    "definitions", Types.STRING, TypeInformation.of(DefinitionUpdate.class));

    /**
     * The segmentation operator's event time when checkpointed, if it was live (union: a restored
     * subtask reads every subtask's): see {@link RestoredEventTime}.
     */
    public static final ListStateDescriptor<Long> LIVE_WATERMARK =
            new ListStateDescriptor<>("live-watermark", Types.LONG);

    /**
     * Broadcast: the definitions-topic offset read so far, under {@link #OFFSET}, and each
     * segment's ordinal (core's {@code SegmentOrdinals}: profiles store memberships under it) under
     * {@link #ORDINAL} + workspace/segment, each counter store's number (profiles store counters
     * under it) under {@link #STORE} + workspace/store hash, and the offset of a segment's record
     * the job refused (or removed with a segment it references) under {@link #REFUSED} +
     * workspace/segment, and the epoch a segment's evaluation last changed at, while its latest
     * record changed only metadata, under {@link #CHANGED_AT} + workspace/segment.
     */
    public static final MapStateDescriptor<String, Long> PROGRESS =
            new MapStateDescriptor<>("definitions-progress", Types.STRING, Types.LONG);

    public static final String OFFSET = "offset";

    public static final String ORDINAL = "ordinal:";

    /** Under it + workspace/store hash (decimal): the counter store's number. */
    public static final String STORE = "store:";

    /**
     * Under it + workspace/segment: the offset of a live record the job refused, or took out of its
     * catalog later with a segment it references.
     */
    public static final String REFUSED = "refused:";

    /**
     * Under it + workspace/segment: the epoch of the last record that changed the segment's
     * evaluation, while a later one changed only its metadata (name, tags, activations). A restore
     * replays the latest record only, and must stamp the segment as the live job did: otherwise
     * every user would evaluate it again from their history.
     */
    public static final String CHANGED_AT = "changed-at:";

    /**
     * Operator state: each subtask's definitions sweep ({@link SweepCursor}). Union: a subtask
     * restored under another parallelism reports from what every old subtask had reported.
     */
    public static final ListStateDescriptor<Long> SWEEP =
            new ListStateDescriptor<>("definitions-sweep-cursor", Types.LONG);

    /**
     * Operator state of jobs before {@link #SWEEP}: a sweep's cursor without its failures, split
     * among subtasks (a rescale handed out pieces of cursors). Read on restore, then emptied.
     */
    public static final ListStateDescriptor<Long> SWEEP_BEFORE_FAILURES =
            new ListStateDescriptor<>("definitions-sweep", Types.LONG);

    /**
     * Operator state: the user TTL settings the job ran under ({@link UserTtls#state}), so that a
     * restore under a shorter TTL sweeps every user to give them the earlier timer. Union: every
     * subtask saves the same, and a restored one reads it whatever the parallelism.
     */
    public static final ListStateDescriptor<String> USER_TTLS =
            new ListStateDescriptor<>("user-ttls", Types.STRING);

    /**
     * Operator state: 1 from each subtask that has nothing of its broadcast state's deletions left
     * to hand to the audience counts, 0 from one that has (subtask 0 restored from state without
     * it, until it has handed them on); nothing when audiences are not counted. Union: whichever
     * subtask is 0 after a restore reads every old subtask's. A job counting audiences hands each
     * deletion on as it applies it, so only state without this (a job from before it, one that did
     * not count audiences, a backfill's bootstrap) has deletions to hand on after a restore. One
     * number per subtask however many segments were ever deleted.
     */
    public static final ListStateDescriptor<Long> AUDIENCE_DELETIONS =
            new ListStateDescriptor<>("audience-deletions-handed-on", Types.LONG);

    /** Replies, dead letters and applied reports: the at-least-once outputs. */
    public static final OutputTag<KafkaMessage> SIDE =
            new OutputTag<>("side", TypeInformation.of(KafkaMessage.class));

    /** Membership changes summed per segment and minute, to the audience counts. */
    public static final OutputTag<AudienceDelta> AUDIENCE =
            new OutputTag<>("audience", TypeInformation.of(AudienceDelta.class));

    /** Per segment: the members now. */
    public static final ValueStateDescriptor<Long> AUDIENCE_SIZE =
            new ValueStateDescriptor<>("audience-size", Types.LONG);

    /** Per segment: the event time of the newest change counted. */
    public static final ValueStateDescriptor<Long> AUDIENCE_AS_OF =
            new ValueStateDescriptor<>("audience-as-of", Types.LONG);

    /** Per segment: the processing time its size is next published (none pending: absent). */
    public static final ValueStateDescriptor<Long> AUDIENCE_NEXT_SIZE =
            new ValueStateDescriptor<>("audience-next-size", Types.LONG);

    /** Per segment: the processing time its series are next published (none pending: absent). */
    public static final ValueStateDescriptor<Long> AUDIENCE_NEXT_SERIES =
            new ValueStateDescriptor<>("audience-next-series", Types.LONG);

    /**
     * Per segment and granularity (minute, hour): period start to {entered, exited}, for the
     * periods the series keep (days are summed from hours).
     */
    public static MapStateDescriptor<Long, long[]> audienceSeries(String granularity) {
        return new MapStateDescriptor<>(
                "audience-" + granularity,
                Types.LONG,
                org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo
                        .LONG_PRIMITIVE_ARRAY_TYPE_INFO);
    }

    /**
     * Backfill only, per user: the records of the instant being read, held until it ends so that
     * they are evaluated in the input's order ({@link BackfillTies}); empty between instants.
     */
    public static final ListStateDescriptor<Inbound> BACKFILL_TIES =
            new ListStateDescriptor<>("backfill-ties", TypeInformation.of(Inbound.class));

    /** Backfill only: each user's memberships as of the end of the input. */
    public static final OutputTag<KafkaMessage> SNAPSHOT =
            new OutputTag<>("snapshot", TypeInformation.of(KafkaMessage.class));

    /** Backfill only: each user's whole state at the end, for the bootstrap savepoint. */
    public static final OutputTag<UserState> STATE =
            new OutputTag<>("state", TypeInformation.of(UserState.class));
}
