package io.cohortflow.service.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.contract.AppliedRecord;
import org.junit.jupiter.api.Test;

/** What the job's reports on the applied topic say of a segment version's propagation. */
class PropagationTrackerTest {

    private static AppliedRecord report(
            long version, long offset, int subtask, int parallelism, String status) {
        return new AppliedRecord(
                "ws",
                "s",
                version,
                offset,
                "2026-12-07T19:00:0" + subtask + "Z",
                subtask,
                parallelism,
                status,
                null);
    }

    @Test
    void a_version_is_in_effect_once_every_subtask_reported_it_live_and_applied_once_all_applied() {
        PropagationTracker t = new PropagationTracker();
        t.accept(report(1, 10, 0, 2, AppliedRecord.LIVE));
        assertThat(t.status("ws", "s", 1, 10).inEffect()).isFalse();
        t.accept(report(1, 10, 1, 2, AppliedRecord.LIVE));
        PropagationTracker.Status live = t.status("ws", "s", 1, 10);
        assertThat(live.inEffect()).isTrue();
        assertThat(live.applied()).isFalse();
        assertThat(live.parallelism()).isEqualTo(2);

        t.accept(report(1, 10, 0, 2, AppliedRecord.APPLIED));
        t.accept(report(1, 10, 1, 2, AppliedRecord.APPLIED));
        assertThat(t.status("ws", "s", 1, 10).applied()).isTrue();
    }

    @Test
    void after_the_job_is_rescaled_down_a_former_subtasks_last_report_is_not_waited_for() {
        PropagationTracker t = new PropagationTracker();
        // A run of two subtasks applied version 1; their reports stay on the compacted topic.
        for (int subtask = 0; subtask < 2; subtask++) {
            t.accept(report(1, 10, subtask, 2, AppliedRecord.LIVE));
            t.accept(report(1, 10, subtask, 2, AppliedRecord.APPLIED));
        }
        // Restored from a savepoint with one subtask, the job applies version 2.
        t.accept(report(2, 20, 0, 1, AppliedRecord.LIVE));
        PropagationTracker.Status live = t.status("ws", "s", 2, 20);
        assertThat(live.inEffect()).isTrue();
        assertThat(live.inEffectAt()).isNotNull();
        assertThat(live.parallelism()).isEqualTo(1);
        assertThat(live.applied()).isFalse();

        t.accept(report(2, 20, 0, 1, AppliedRecord.APPLIED));
        PropagationTracker.Status applied = t.status("ws", "s", 2, 20);
        assertThat(applied.applied()).isTrue();
        assertThat(applied.subtasksReported()).isEqualTo(1);
    }

    @Test
    void after_the_job_is_rescaled_up_every_new_subtask_is_waited_for() {
        PropagationTracker t = new PropagationTracker();
        t.accept(report(1, 10, 0, 1, AppliedRecord.LIVE));
        t.accept(report(2, 20, 0, 3, AppliedRecord.LIVE));
        t.accept(report(2, 20, 1, 3, AppliedRecord.LIVE));
        assertThat(t.status("ws", "s", 2, 20).inEffect()).isFalse();
        t.accept(report(2, 20, 2, 3, AppliedRecord.LIVE));
        assertThat(t.status("ws", "s", 2, 20).inEffect()).isTrue();
    }
}
