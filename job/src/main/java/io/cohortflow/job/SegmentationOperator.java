package io.cohortflow.job;

import io.cohortflow.core.contract.AppliedRecord;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
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
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The segmentation operator: {@link SegmentationFunction} for records, timers and definitions, plus
 * the sweep that brings quiet users up to changed definitions without stopping the stream.
 *
 * <p>A definitions change touches no user when it is applied (see {@link SegmentationFunction}).
 * Users with events or lapses catch up on their own; the others are visited by a sweep over this
 * subtask's keys: slices of at most {@link #SLICE_NANOS} run from processing-time callbacks, which
 * the task runs between records, and while records keep arriving each slice is followed by a pause
 * four times as long, so the stream keeps four fifths of the task's time. With no records the sweep
 * runs back to back. When a sweep has visited every key it reports the changes it covered as
 * applied to all users ({@code cohortflow.applied}, status {@code applied}); a change that arrives
 * meanwhile is covered by another sweep right after.
 *
 * <p>Keys are visited in key-group order (RocksDB iterates its keys so; the heap backend's are
 * sorted so): the last key group fully visited is checkpointed, with the users the sweep could not
 * evaluate so far (a sweep that failed on one before a restore does not report applied after it),
 * and a restored sweep skips the groups before it. Restored under another parallelism, it starts
 * over ({@link SweepCursor}).
 */
public class SegmentationOperator
        extends CoBroadcastWithKeyedOperator<String, Inbound, DefinitionUpdate, KafkaMessage> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SegmentationOperator.class);

    /** The longest a slice of the sweep holds the task. */
    static final long SLICE_NANOS = 5_000_000;

    /** The pause after a slice while records arrive: the stream keeps 4/5 of the time. */
    static final long BUSY_PAUSE_MILLIS = 20;

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
    private transient ListState<Long> liveWatermarkState;
    private transient RestoredEventTime restoredTime;
    private transient TimerService timers;

    // Set in initializeState: the operator reaches its task serialized, and a deserialized
    // object's transient fields hold 0 and false whatever their declarations say.

    /** Where the sweep is (checkpointed in {@link Descriptors#SWEEP}). */
    private transient SweepCursor cursor;

    private transient boolean scheduled;
    private transient long recordsSinceSlice;
    @Nullable private transient Stream<String> keyStream;
    @Nullable private transient Iterator<String> keys;
    private transient long visited;

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
        cursor = new SweepCursor();
        if (context.isRestored()) {
            var task = getRuntimeContext().getTaskInfo();
            int parallelism = task.getNumberOfParallelSubtasks();
            int subtask = task.getIndexOfThisSubtask();
            List<Long> saved = new ArrayList<>();
            sweepState.get().forEach(saved::add);
            cursor = SweepCursor.restore(saved, parallelism, subtask);
            // Held only in state of a job from before the union cursor (emptied here at once).
            String before = Descriptors.SWEEP_BEFORE_FAILURES.getName();
            if (store.getRegisteredStateNames().contains(before)) {
                ListState<Long> old = store.getListState(Descriptors.SWEEP_BEFORE_FAILURES);
                List<Long> oldSaved = new ArrayList<>();
                old.get().forEach(oldSaved::add);
                old.clear();
                if (!oldSaved.isEmpty()) {
                    cursor = SweepCursor.restoreBeforeFailures(oldSaved, parallelism, subtask);
                }
            }
        }
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
        if (cursor.sweeping()) {
            schedule(0);
        }
        JobMetrics m = function.metrics();
        m.gauge("sweeping", () -> sweeping() ? 1 : 0);
        m.gauge("sweep_users_visited", () -> visited);
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
        recordsSinceSlice++;
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
            cursor.want();
            schedule(0);
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        var task = getRuntimeContext().getTaskInfo();
        sweepState.update(
                cursor.state(task.getNumberOfParallelSubtasks(), task.getIndexOfThisSubtask()));
        liveWatermarkState.update(
                restoredTime.snapshot(
                        timers.currentWatermark(),
                        getProcessingTimeService().getCurrentProcessingTime()));
    }

    @Override
    public void close() throws Exception {
        closeKeys();
        if (estimates != null) {
            estimates.close();
        }
        super.close();
    }

    /** Whether a sweep is running or wanted. */
    public boolean sweeping() {
        return cursor.sweeping();
    }

    /** Users visited by sweeps since this operator was opened. */
    public long usersVisited() {
        return visited;
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
        return cursor.progress(range.getStartKeyGroup(), range.getEndKeyGroup());
    }

    private void schedule(long delayMillis) {
        if (scheduled) {
            return;
        }
        scheduled = true;
        long now = getProcessingTimeService().getCurrentProcessingTime();
        getProcessingTimeService().registerTimer(now + delayMillis, t -> slice());
    }

    /** One slice of the sweep: users visited until the slice's time is up or the keys end. */
    private void slice() throws Exception {
        scheduled = false;
        // Records arrived since the last slice: the stream is busy, and gets its pause.
        boolean busy = recordsSinceSlice > 0;
        recordsSinceSlice = 0;
        BroadcastState<String, DefinitionUpdate> defs =
                getOperatorStateBackend().getBroadcastState(Descriptors.DEFINITIONS);
        BroadcastState<String, Long> progress =
                getOperatorStateBackend().getBroadcastState(Descriptors.PROGRESS);
        if (!cursor.sweeping()) {
            return;
        }
        if (!function.definitions().ready(defs, progress)) {
            // Restored before the definitions were read to their end: no user can be evaluated
            // yet, and a sweep that visited them now would report what it did not do.
            schedule(100);
            return;
        }
        if (!cursor.running()) {
            cursor.start(LiveDefinitions.read(progress));
        }
        if (keys == null) {
            openKeys();
        }
        Consumer<KafkaMessage> out = m -> output.collect(new StreamRecord<>(m));
        Consumer<KafkaMessage> side = m -> output.collect(Descriptors.SIDE, new StreamRecord<>(m));
        // Counted in the cursor, so that a sweep that failed on a user before a restore is not
        // reported applied after it.
        int[] failed = {cursor.failures()};
        long deadline = System.nanoTime() + sliceNanos;
        boolean first = true;
        while (keys.hasNext() && (first || System.nanoTime() < deadline)) {
            String key = keys.next();
            if (!cursor.visits(keyGroup(key))) {
                continue; // visited before the restore
            }
            first = false;
            visited++;
            setCurrentKey(key);
            function.visit(key, defs, progress, timers, out, side, failed);
        }
        cursor.failures(failed[0]);
        if (function.audiences().full()) {
            flushAudiences();
        }
        if (keys.hasNext()) {
            schedule(busy ? BUSY_PAUSE_MILLIS : 0);
            return;
        }
        closeKeys();
        if (cursor.failures() == 0) {
            for (KafkaMessage m :
                    function.definitions()
                            .reports(
                                    AppliedRecord.APPLIED,
                                    cursor.reported(),
                                    cursor.target(),
                                    getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
                                    getRuntimeContext()
                                            .getTaskInfo()
                                            .getNumberOfParallelSubtasks())) {
                side.accept(m);
            }
        } else {
            // Not applied to all: those users keep their state until their next event, which
            // dead-letters the record that cannot be evaluated. The definitions stay in effect.
            LOG.warn(
                    "sweep to offset {}: {} users could not be evaluated; not reported applied",
                    cursor.target(),
                    cursor.failures());
        }
        cursor.finish();
        if (cursor.sweeping()) {
            schedule(0);
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

    private void openKeys() {
        Stream<String> all = userKeys();
        keyStream = all;
        keys = all.iterator();
        cursor.rewind();
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

    private void closeKeys() {
        if (keyStream != null) {
            keyStream.close();
        }
        keyStream = null;
        keys = null;
    }

    private int keyGroup(String key) {
        return KeyGroupRangeAssignment.assignToKeyGroup(
                key, getRuntimeContext().getTaskInfo().getMaxNumberOfParallelSubtasks());
    }
}
