package io.cohortflow.job;

import io.cohortflow.core.contract.AppliedRecord;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.KafkaMessage;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.SimpleTimerService;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.operators.Output;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * What {@link SegmentationOperator} lends the work it runs between records: its clock and
 * callbacks, its users, its definitions state, its function and its outputs, seen by the {@link
 * DefinitionsSweep}, {@link DraftEstimates}, {@link Heartbeats} and {@link RestoredEventTime}
 * through each one's narrow host. Out of the operator, so that the operator is left with Flink's
 * life cycle: which work runs when, and what goes into checkpoints.
 */
final class OperatorHost implements DefinitionsSweep.Host, DraftEstimates.Host, Heartbeats.Host {
    private final SegmentationOperator operator;
    private final Output<StreamRecord<KafkaMessage>> output;
    private final SegmentationFunction function;
    private final TaskInfo task;
    private final TimerService timers;

    /** Once the operator is open: {@code output} is its output, the function's too. */
    OperatorHost(
            SegmentationOperator operator,
            Output<StreamRecord<KafkaMessage>> output,
            SegmentationFunction function) {
        this.operator = operator;
        this.output = output;
        this.function = function;
        this.task = operator.getRuntimeContext().getTaskInfo();
        // The timer service the function's context uses (one per name and operator).
        this.timers =
                new SimpleTimerService(
                        operator.getInternalTimerService(
                                "user-timers", VoidNamespaceSerializer.INSTANCE, operator));
    }

    @Override
    public long now() {
        return operator.getProcessingTimeService().getCurrentProcessingTime();
    }

    @Override
    public void at(long at, TaskClock.Callback callback) {
        operator.getProcessingTimeService().registerTimer(at, callback::run);
    }

    /** The users held by this subtask, in key-group order. */
    @Override
    public Stream<String> users() {
        KeyedStateBackend<String> backend = operator.getKeyedStateBackend();
        Stream<String> all = backend.getKeys(Descriptors.PROFILE.getName(), VoidNamespace.INSTANCE);
        if (!function.settings().orderedState()) {
            // The heap backend's keys are in no order, and its maps must not change while
            // iterated: a sorted copy.
            List<String> copy = all.sorted(Comparator.comparingInt(this::keyGroup)).toList();
            all.close();
            all = copy.stream();
        }
        return all;
    }

    @Override
    public int keyGroup(String key) {
        return KeyGroupRangeAssignment.assignToKeyGroup(key, task.getMaxNumberOfParallelSubtasks());
    }

    @Override
    public void select(String key) {
        operator.setCurrentKey(key);
    }

    @Override
    public long watermark() {
        return timers.currentWatermark();
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
    public void visit(String key, int[] tally) throws Exception {
        operator.setCurrentKey(key);
        function.wakeUps()
                .visit(
                        key,
                        definitions(),
                        progress(),
                        timers,
                        m -> output.collect(new StreamRecord<>(m)),
                        this::side,
                        tally);
    }

    @Override
    public void sliced() {
        if (function.audiences().full()) {
            flushAudiences();
        }
    }

    @Override
    public void applied(long reported, long target) {
        for (KafkaMessage m :
                function.definitions()
                        .reports(
                                AppliedRecord.APPLIED,
                                reported,
                                target,
                                task.getIndexOfThisSubtask(),
                                task.getNumberOfParallelSubtasks())) {
            side(m);
        }
    }

    @Override
    public void side(KafkaMessage m) {
        output.collect(Descriptors.SIDE, new StreamRecord<>(m));
    }

    /**
     * Hands the audience sums on (see {@link AudienceDeltas}). Restored from state that says its
     * deletions were not handed on (a job from before deletions forgot audiences kept theirs),
     * subtask 0 also hands on a record for each segment deleted before the restore, once (see
     * {@link SegmentationOperator#initializeState}). One subtask's record is enough there: every
     * subtask had applied those deletions, and handed on what it counted before them, by the
     * checkpoint.
     */
    void flushAudiences() {
        AudienceDeltas audiences = function.audiences();
        Map<String, Set<String>> restored = function.definitions().takeRestoredDeletions();
        restored.forEach((workspace, ids) -> ids.forEach(id -> audiences.removed(workspace, id)));
        audiences.drain(d -> output.collect(Descriptors.AUDIENCE, new StreamRecord<>(d)));
    }

    private BroadcastState<String, DefinitionUpdate> definitions() throws Exception {
        return operator.getOperatorStateBackend().getBroadcastState(Descriptors.DEFINITIONS);
    }

    private BroadcastState<String, Long> progress() throws Exception {
        return operator.getOperatorStateBackend().getBroadcastState(Descriptors.PROGRESS);
    }
}
