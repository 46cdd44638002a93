package io.cohortflow.job;

import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The segmentation operator: {@link SegmentationFunction} for records, timers and definitions, plus
 * what runs between records from processing-time callbacks: the {@link DefinitionsSweep} that
 * brings quiet users up to changed definitions without stopping the stream, draft estimates ({@link
 * DraftEstimates}), each subtask's {@link Heartbeats}, and event time after a restore ({@link
 * RestoredEventTime}). This class is Flink's life cycle only: it starts that work, tells it of
 * records and watermarks, and checkpoints what it keeps; {@link OperatorHost} lends it the
 * operator's clock, users, state and outputs.
 *
 * <p>A definitions change touches no user when it is applied (see {@link SegmentationFunction}).
 * Users with events or lapses catch up on their own; the others are visited by the sweep.
 */
public class SegmentationOperator
        extends CoBroadcastWithKeyedOperator<String, Inbound, DefinitionUpdate, KafkaMessage> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SegmentationOperator.class);

    /** The longest a slice of the sweep or of an estimate holds the task. */
    static final long SLICE_NANOS = 5_000_000;

    private final SegmentationFunction function;
    private final long sliceNanos;
    private final long heartbeatMillis;
    private final IdleTime idleTime;
    private boolean countAudiences = true;

    // Set in initializeState and open: the operator reaches its task serialized, and a
    // deserialized object's transient fields hold 0 and false whatever their declarations say.

    private transient ListState<Long> sweepState;
    private transient ListState<Long> liveWatermarkState;
    private transient ListState<Long> audienceDeletionsState;
    private transient ListState<String> userTtlsState;

    /** Whether this subtask hands on the deletions of the restored state (see initializeState). */
    private transient boolean handOnRestoredDeletions;

    private transient SweepCursor cursor;
    private transient RestoredEventTime restoredTime;
    private transient OperatorHost host;
    private transient DefinitionsSweep sweep;
    private transient DraftEstimates estimates;

    public SegmentationOperator(SegmentationFunction function) {
        this(function, SLICE_NANOS);
    }

    /**
     * ... counting audiences or not (see {@link JobConfig#AUDIENCES}), event time on an idle stream
     * by {@code idleTime}.
     */
    public SegmentationOperator(
            SegmentationFunction function, boolean countAudiences, IdleTime idleTime) {
        this(function, SLICE_NANOS, Heartbeats.EVERY_MILLIS, idleTime);
        this.countAudiences = countAudiences;
    }

    /** With slices of {@code sliceNanos} (each visits at least one user). */
    SegmentationOperator(SegmentationFunction function, long sliceNanos) {
        this(function, sliceNanos, Heartbeats.EVERY_MILLIS);
    }

    /** ... and a heartbeat every {@code heartbeatMillis} (0: none). */
    SegmentationOperator(SegmentationFunction function, long sliceNanos, long heartbeatMillis) {
        this(function, sliceNanos, heartbeatMillis, IdleTime.of(JobConfig.defaults()));
    }

    SegmentationOperator(
            SegmentationFunction function,
            long sliceNanos,
            long heartbeatMillis,
            IdleTime idleTime) {
        super(function, List.of(Descriptors.DEFINITIONS, Descriptors.PROGRESS));
        this.function = function;
        this.sliceNanos = sliceNanos;
        this.heartbeatMillis = heartbeatMillis;
        this.idleTime = idleTime;
    }

    /**
     * The audience sums go out just before the barrier: they are then in the checkpoint that holds
     * the changes they count, with no state of their own.
     */
    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        host.flushAudiences();
    }

    @Override
    public void finish() throws Exception {
        host.flushAudiences();
        super.finish();
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        var store = context.getOperatorStateStore();
        sweepState = store.getUnionListState(Descriptors.SWEEP);
        liveWatermarkState = store.getUnionListState(Descriptors.LIVE_WATERMARK);
        audienceDeletionsState = store.getUnionListState(Descriptors.AUDIENCE_DELETIONS);
        userTtlsState = store.getUnionListState(Descriptors.USER_TTLS);
        // A job counting audiences hands each deletion on as it applies it, in the checkpoint
        // that applies it: restored from its own state, it has none to hand on again. Only state
        // that does not say so (a job from before this, one not counting audiences, a backfill's
        // bootstrap) may hold audiences of deleted segments: subtask 0 hands those deletions on
        // once, and says so from its next checkpoint on. (It handed on one record per segment
        // ever deleted after every restore.)
        handOnRestoredDeletions =
                countAudiences
                        && context.isRestored()
                        && getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0
                        && !deletionsHandedOn(audienceDeletionsState.get());
        restoredTime = new RestoredEventTime(idleTime);
        if (context.isRestored()) {
            restoredTime.restore(liveWatermarkState.get());
        }
        cursor = new SweepCursor();
        if (context.isRestored()) {
            var task = getRuntimeContext().getTaskInfo();
            List<Long> saved = new ArrayList<>();
            sweepState.get().forEach(saved::add);
            // Held only in state of a job from before the union cursor (emptied here at once).
            List<Long> beforeFailures = null;
            String before = Descriptors.SWEEP_BEFORE_FAILURES.getName();
            if (store.getRegisteredStateNames().contains(before)) {
                ListState<Long> old = store.getListState(Descriptors.SWEEP_BEFORE_FAILURES);
                beforeFailures = new ArrayList<>();
                old.get().forEach(beforeFailures::add);
                old.clear();
            }
            cursor =
                    DefinitionsSweep.restore(
                            saved,
                            beforeFailures,
                            task.getNumberOfParallelSubtasks(),
                            task.getIndexOfThisSubtask());
            // Users' timers were registered under the TTLs of the restored state: where one is
            // shorter now, only a sweep reaches the users who send nothing more (UserTtls).
            List<String> ttls = new ArrayList<>();
            userTtlsState.get().forEach(ttls::add);
            if (UserTtls.shortened(function.settings(), ttls)) {
                LOG.info("a user TTL is shorter than the restored state's: sweeping every user");
                cursor.want();
            }
        }
    }

    /** Whether every subtask of the restored state said its deletions were handed on. */
    private static boolean deletionsHandedOn(Iterable<Long> saved) {
        boolean any = false;
        for (long handed : saved) {
            if (handed != 1) {
                return false;
            }
            any = true;
        }
        return any;
    }

    @Override
    public void open() throws Exception {
        super.open();
        if (countAudiences) {
            function.audiences().start();
        }
        if (handOnRestoredDeletions) {
            function.definitions().handOnRestoredDeletions();
        }
        var task = getRuntimeContext().getTaskInfo();
        host = new OperatorHost(this, output, function);
        sweep = new DefinitionsSweep(host, sliceNanos, cursor);
        estimates =
                new DraftEstimates(
                        host,
                        function,
                        function.outputs(),
                        task.getIndexOfThisSubtask(),
                        task.getNumberOfParallelSubtasks(),
                        sliceNanos);
        sweep.open();
        JobMetrics m = function.metrics();
        m.gauge("sweeping", () -> sweeping() ? 1 : 0);
        m.gauge("sweep_users_visited", sweep::visited);
        m.ratio("sweep_progress", this::sweepProgress);
        // How far event time is behind the wall clock: lapses wait for it (docs/job.md, "Event
        // time"); -1 before the first watermark.
        m.gauge(
                "watermark_lag_ms",
                () -> host.watermark() == Long.MIN_VALUE ? -1 : host.now() - host.watermark());
        new Heartbeats(
                        host,
                        function.outputs(),
                        function.settings(),
                        task.getIndexOfThisSubtask(),
                        heartbeatMillis)
                .start();
        restoredTime.start(host, t -> super.processWatermark(new Watermark(t)));
    }

    @Override
    public void processWatermark1(Watermark mark) throws Exception {
        restoredTime.sourcesSpoke();
        super.processWatermark1(mark);
    }

    /** See {@link RestoredEventTime}: until the sources speak, the clock may move event time. */
    @Override
    public void processWatermark(Watermark mark) throws Exception {
        if (restoredTime.accepts(mark.getTimestamp())) {
            super.processWatermark(mark);
        }
    }

    @Override
    public void processElement1(StreamRecord<Inbound> element) throws Exception {
        sweep.recordArrived();
        estimates.recordArrived();
        super.processElement1(element);
        if (function.audiences().full()) {
            host.flushAudiences();
        }
    }

    @Override
    public void processElement2(StreamRecord<DefinitionUpdate> element) throws Exception {
        if (element.getValue().estimate) {
            estimates.submit(element.getValue());
            return;
        }
        super.processElement2(element);
        if (function.definitions().takeSweep()) {
            sweep.want();
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        var task = getRuntimeContext().getTaskInfo();
        sweepState.update(
                sweep.state(task.getNumberOfParallelSubtasks(), task.getIndexOfThisSubtask()));
        liveWatermarkState.update(restoredTime.snapshot(host.watermark(), host.now()));
        // The TTLs a restore compares with: every user's timer follows them once the sweep a
        // restore under shorter ones wanted is over, and that sweep is in the cursor until then.
        userTtlsState.update(UserTtls.state(function.settings()));
        // After the audience sums went out (prepareSnapshotPreBarrier): 0 only while subtask 0
        // has not yet handed on the restored deletions (no record since the restore built the
        // catalogs), so that the next restore hands them on then.
        audienceDeletionsState.update(
                countAudiences
                        ? List.of(function.definitions().restoredDeletionsPending() ? 0L : 1L)
                        : List.of());
    }

    @Override
    public void close() throws Exception {
        if (sweep != null) {
            sweep.close();
        }
        if (estimates != null) {
            estimates.close();
        }
        super.close();
    }

    /** The catalog users of {@code workspace} are evaluated against: empty until ready. */
    SegmentCatalog catalog(String workspace) {
        return function.definitions().catalog(workspace);
    }

    /** Whether a sweep is running or wanted. */
    public boolean sweeping() {
        return sweep.sweeping();
    }

    /** Users visited by sweeps since this operator was opened. */
    public long usersVisited() {
        return sweep.visited();
    }

    /**
     * How far the running sweep is through this subtask's users, by key groups fully visited (its
     * cursor): 0 to 1, and 1 with no sweep running. The rollout's progress, per subtask.
     */
    double sweepProgress() {
        var task = getRuntimeContext().getTaskInfo();
        var range =
                KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex(
                        task.getMaxNumberOfParallelSubtasks(),
                        task.getNumberOfParallelSubtasks(),
                        task.getIndexOfThisSubtask());
        return sweep.progress(range.getStartKeyGroup(), range.getEndKeyGroup());
    }
}
