package io.cohortflow.job;

import io.cohortflow.core.contract.AppliedRecord;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.SimpleTimerService;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The segmentation operator: {@link SegmentationFunction} for records, timers and definitions, plus
 * what runs between records from processing-time callbacks: the {@link DefinitionsSweep} that
 * brings quiet users up to changed definitions without stopping the stream, draft estimates ({@link
 * DraftEstimates}), each subtask's heartbeat, and event time after a restore ({@link
 * RestoredEventTime}).
 *
 * <p>A definitions change touches no user when it is applied (see {@link SegmentationFunction}).
 * Users with events or lapses catch up on their own; the others are visited by the sweep.
 */
public class SegmentationOperator
        extends CoBroadcastWithKeyedOperator<String, Inbound, DefinitionUpdate, KafkaMessage> {
    private static final long serialVersionUID = 1L;

    /** The longest a slice of the sweep holds the task. */
    static final long SLICE_NANOS = 5_000_000;

    /** The pause after an estimate's slice while records arrive: the stream keeps half. */
    static final long ESTIMATE_PAUSE_MILLIS = 5;

    /** How often each subtask writes its heartbeat to the replies topic. */
    static final long HEARTBEAT_MILLIS = 1_000;

    /** How often a restored subtask looks whether the clock must move event time. */
    static final long CLOCK_TIME_MILLIS = 1_000;

    private final SegmentationFunction function;
    private final long sliceNanos;
    private final long heartbeatMillis;
    private final IdleTime idleTime;
    private boolean countAudiences = true;

    private transient ListState<Long> sweepState;
    private transient DefinitionsSweep sweep;
    private transient ListState<Long> liveWatermarkState;
    private transient RestoredEventTime restoredTime;
    private transient TimerService timers;

    // Set in initializeState: the operator reaches its task serialized, and a deserialized
    // object's transient fields hold 0 and false whatever their declarations say.

    private transient DraftEstimates estimates;
    private transient DraftEstimates.Users users;
    private transient boolean estimateScheduled;
    private transient long recordsSinceEstimate;

    public SegmentationOperator(SegmentationFunction function) {
        this(function, SLICE_NANOS);
    }

    /**
     * ... counting audiences or not (see {@link JobConfig#AUDIENCES}), event time on an idle stream
     * by {@code idleTime}.
     */
    public SegmentationOperator(
            SegmentationFunction function, boolean countAudiences, IdleTime idleTime) {
        this(function, SLICE_NANOS, HEARTBEAT_MILLIS, idleTime);
        this.countAudiences = countAudiences;
    }

    /** With slices of {@code sliceNanos} (each visits at least one user). */
    SegmentationOperator(SegmentationFunction function, long sliceNanos) {
        this(function, sliceNanos, HEARTBEAT_MILLIS);
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
        flushAudiences();
    }

    @Override
    public void finish() throws Exception {
        flushAudiences();
        super.finish();
    }

    private void flushAudiences() {
        function.audiences()
                .drain(d -> output.collect(Descriptors.AUDIENCE, new StreamRecord<>(d)));
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        var store = context.getOperatorStateStore();
        sweepState = store.getUnionListState(Descriptors.SWEEP);
        liveWatermarkState = store.getUnionListState(Descriptors.LIVE_WATERMARK);
        restoredTime = new RestoredEventTime(idleTime);
        if (context.isRestored()) {
            restoredTime.restore(liveWatermarkState.get());
        }
        SweepCursor cursor = new SweepCursor();
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
        }
        sweep = new DefinitionsSweep(new SweepHost(), sliceNanos, cursor);
    }

    @Override
    public void open() throws Exception {
        super.open();
        if (countAudiences) {
            function.audiences().start();
        }
        var task = getRuntimeContext().getTaskInfo();
        estimates =
                new DraftEstimates(
                        function,
                        function.outputs(),
                        task.getIndexOfThisSubtask(),
                        task.getNumberOfParallelSubtasks());
        users = new EstimatedUsers();
        // The timer service the function's context uses (one per name and operator).
        timers =
                new SimpleTimerService(
                        getInternalTimerService(
                                "user-timers", VoidNamespaceSerializer.INSTANCE, this));
        sweep.open();
        JobMetrics m = function.metrics();
        m.gauge("sweeping", () -> sweeping() ? 1 : 0);
        m.gauge("sweep_users_visited", sweep::visited);
        m.ratio("sweep_progress", this::sweepProgress);
        // How far event time is behind the wall clock: lapses wait for it (docs/job.md, "Event
        // time"); -1 before the first watermark.
        m.gauge(
                "watermark_lag_ms",
                () ->
                        timers.currentWatermark() == Long.MIN_VALUE
                                ? -1
                                : getProcessingTimeService().getCurrentProcessingTime()
                                        - timers.currentWatermark());
        if (heartbeatMillis > 0) {
            heartbeatAfter(getProcessingTimeService().getCurrentProcessingTime());
        }
        restoredTime.opened(getProcessingTimeService().getCurrentProcessingTime());
        if (restoredTime.waiting()) {
            clockTimeAfter(getProcessingTimeService().getCurrentProcessingTime());
        }
    }

    /** See {@link RestoredEventTime}: until the sources speak, the clock may move event time. */
    private void clockTimeAfter(long now) {
        getProcessingTimeService()
                .registerTimer(
                        now + CLOCK_TIME_MILLIS,
                        t -> {
                            long at = getProcessingTimeService().getCurrentProcessingTime();
                            long due = restoredTime.due(at);
                            if (due != Long.MIN_VALUE) {
                                super.processWatermark(new Watermark(due));
                            }
                            if (restoredTime.waiting()) {
                                clockTimeAfter(at);
                            }
                        });
    }

    @Override
    public void processWatermark1(Watermark mark) throws Exception {
        restoredTime.sourcesSpoke();
        super.processWatermark1(mark);
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        if (restoredTime.accepts(mark.getTimestamp())) {
            super.processWatermark(mark);
        }
    }

    /**
     * From a processing-time callback, as the sweep's slices: a task that runs no callbacks (stuck,
     * or gone) writes none, and the service then says the job is not running.
     */
    private void heartbeatAfter(long now) {
        getProcessingTimeService()
                .registerTimer(
                        now + heartbeatMillis,
                        t -> {
                            KafkaMessage m =
                                    function.heartbeat(
                                            getRuntimeContext()
                                                    .getTaskInfo()
                                                    .getIndexOfThisSubtask(),
                                            t);
                            if (m != null) {
                                output.collect(Descriptors.SIDE, new StreamRecord<>(m));
                                heartbeatAfter(t);
                            }
                        });
    }

    @Override
    public void processElement1(StreamRecord<Inbound> element) throws Exception {
        sweep.recordArrived();
        recordsSinceEstimate++;
        super.processElement1(element);
        if (function.audiences().full()) {
            flushAudiences();
        }
    }

    @Override
    public void processElement2(StreamRecord<DefinitionUpdate> element) throws Exception {
        if (element.getValue().estimate) {
            estimates.submit(
                    element.getValue(),
                    getProcessingTimeService().getCurrentProcessingTime(),
                    m -> output.collect(Descriptors.SIDE, new StreamRecord<>(m)));
            scheduleEstimate(0);
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
        liveWatermarkState.update(
                restoredTime.snapshot(
                        timers.currentWatermark(),
                        getProcessingTimeService().getCurrentProcessingTime()));
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

    /** The operator's users, clock, state and outputs, lent to the sweep. */
    private final class SweepHost implements DefinitionsSweep.Host {
        @Override
        public long now() {
            return getProcessingTimeService().getCurrentProcessingTime();
        }

        @Override
        public void at(long at, DefinitionsSweep.Slice slice) {
            getProcessingTimeService().registerTimer(at, t -> slice.run());
        }

        @Override
        public Stream<String> users() {
            return userKeys();
        }

        @Override
        public int keyGroup(String key) {
            return SegmentationOperator.this.keyGroup(key);
        }

        @Override
        public boolean ready() throws Exception {
            return function.definitions().ready(definitions(), progress());
        }

        @Override
        public long offsetRead() throws Exception {
            return LiveDefinitions.read(progress());
        }

        @Override
        public void visit(String key, int[] failed) throws Exception {
            setCurrentKey(key);
            function.visit(
                    key,
                    definitions(),
                    progress(),
                    timers,
                    m -> output.collect(new StreamRecord<>(m)),
                    m -> output.collect(Descriptors.SIDE, new StreamRecord<>(m)),
                    failed);
        }

        @Override
        public void sliced() {
            if (function.audiences().full()) {
                flushAudiences();
            }
        }

        @Override
        public void applied(long reported, long target) {
            var task = getRuntimeContext().getTaskInfo();
            for (KafkaMessage m :
                    function.definitions()
                            .reports(
                                    AppliedRecord.APPLIED,
                                    reported,
                                    target,
                                    task.getIndexOfThisSubtask(),
                                    task.getNumberOfParallelSubtasks())) {
                output.collect(Descriptors.SIDE, new StreamRecord<>(m));
            }
        }

        private BroadcastState<String, DefinitionUpdate> definitions() throws Exception {
            return getOperatorStateBackend().getBroadcastState(Descriptors.DEFINITIONS);
        }

        private BroadcastState<String, Long> progress() throws Exception {
            return getOperatorStateBackend().getBroadcastState(Descriptors.PROGRESS);
        }
    }

    private void scheduleEstimate(long delayMillis) {
        if (estimateScheduled) {
            return;
        }
        estimateScheduled = true;
        long now = getProcessingTimeService().getCurrentProcessingTime();
        getProcessingTimeService().registerTimer(now + delayMillis, t -> estimateSlice(t));
    }

    /** One slice of the running estimates (see {@link DraftEstimates}). */
    private void estimateSlice(long now) throws Exception {
        estimateScheduled = false;
        boolean busy = recordsSinceEstimate > 0;
        recordsSinceEstimate = 0;
        boolean ready =
                function.definitions()
                        .ready(
                                getOperatorStateBackend()
                                        .getBroadcastState(Descriptors.DEFINITIONS),
                                getOperatorStateBackend().getBroadcastState(Descriptors.PROGRESS));
        estimates.work(
                System.nanoTime() + sliceNanos,
                ready,
                now,
                users,
                m -> output.collect(Descriptors.SIDE, new StreamRecord<>(m)));
        if (estimates.pending()) {
            scheduleEstimate(busy ? ESTIMATE_PAUSE_MILLIS : 0);
        }
    }

    /** The operator's users and clock, lent to estimates. */
    private final class EstimatedUsers implements DraftEstimates.Users {
        @Override
        public Stream<String> keys() {
            return userKeys();
        }

        @Override
        public void select(String key) {
            setCurrentKey(key);
        }

        @Override
        public long watermark() {
            return timers.currentWatermark();
        }
    }

    /** The users held by this subtask, in key-group order. */
    private Stream<String> userKeys() {
        KeyedStateBackend<String> backend = getKeyedStateBackend();
        Stream<String> all = backend.getKeys(Descriptors.PROFILE.getName(), VoidNamespace.INSTANCE);
        if (!function.orderedState()) {
            // The heap backend's keys are in no order, and its maps must not change while
            // iterated: a sorted copy.
            List<String> copy = all.sorted(Comparator.comparingInt(this::keyGroup)).toList();
            all.close();
            all = copy.stream();
        }
        return all;
    }

    private int keyGroup(String key) {
        return KeyGroupRangeAssignment.assignToKeyGroup(
                key, getRuntimeContext().getTaskInfo().getMaxNumberOfParallelSubtasks());
    }
}
