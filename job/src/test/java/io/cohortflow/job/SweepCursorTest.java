package io.cohortflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SweepCursorTest {
    @Test
    void a_sweep_resumes_after_the_last_key_group_it_finished() {
        SweepCursor c = new SweepCursor();
        c.want();
        c.start(41);
        assertThat(c.visits(3)).isTrue();
        assertThat(c.visits(3)).isTrue();
        assertThat(c.visits(5)).isTrue(); // group 3 done
        List<Long> saved = c.state(2, 1);

        SweepCursor back = SweepCursor.restore(saved, 2, 1);
        assertThat(back.running()).isTrue();
        assertThat(back.target()).isEqualTo(41);
        assertThat(back.visits(3)).as("finished before the checkpoint").isFalse();
        assertThat(back.visits(5)).as("begun, not finished").isTrue();
        assertThat(back.visits(6)).isTrue();
        assertThat(back.progress(0, 9)).isEqualTo(0.6); // groups 0..5 of 0..9 done
    }

    @Test
    void a_cursor_of_another_subtask_or_parallelism_starts_a_new_sweep_keeping_what_was_reported() {
        SweepCursor a = new SweepCursor();
        a.want();
        a.start(10);
        a.finish();
        SweepCursor b = new SweepCursor();
        b.want();
        b.start(7);
        b.finish();
        List<Long> both = new java.util.ArrayList<>(a.state(2, 0));
        both.addAll(b.state(2, 1));

        SweepCursor rescaled = SweepCursor.restore(both, 3, 0);
        assertThat(rescaled.running()).isFalse();
        assertThat(rescaled.sweeping()).isTrue();
        assertThat(rescaled.reported()).isEqualTo(7);
        assertThat(SweepCursor.restore(a.state(2, 0), 2, 1).sweeping())
                .as("another subtask's cursor")
                .isTrue();
        assertThat(SweepCursor.restore(List.of(), 2, 0).reported())
                .as("a job from before sweeps")
                .isEqualTo(SweepCursor.NONE);
    }

    @Test
    void a_sweep_with_failures_is_not_reported_and_a_wanted_one_follows() {
        SweepCursor c = new SweepCursor();
        c.want();
        c.start(5);
        c.want(); // a definition arrived during the sweep
        c.failures(1);
        c.finish();
        assertThat(c.reported()).isEqualTo(SweepCursor.NONE);
        assertThat(c.running()).isFalse();
        assertThat(c.sweeping()).isTrue();
        assertThat(c.progress(0, 9)).isZero();
        c.start(6);
        c.finish();
        assertThat(c.reported()).isEqualTo(6);
        assertThat(c.sweeping()).isFalse();
        assertThat(c.progress(0, 9)).isEqualTo(1.0);
    }

    @Test
    void each_subtask_resumes_its_own_cursor_among_everyones_with_the_failures_it_had() {
        SweepCursor a = new SweepCursor();
        a.want();
        a.start(9);
        a.visits(1);
        a.visits(2);
        a.failures(1); // a user it could not bring up to offset 9
        SweepCursor b = new SweepCursor();
        b.want();
        b.start(9);
        List<Long> all = new java.util.ArrayList<>(a.state(2, 0));
        all.addAll(b.state(2, 1));

        SweepCursor back = SweepCursor.restore(all, 2, 0);
        assertThat(back.running()).isTrue();
        assertThat(back.visits(1)).as("finished before the checkpoint").isFalse();
        assertThat(back.failures()).isEqualTo(1);
        back.finish();
        assertThat(back.reported()).as("failed before the restore").isEqualTo(SweepCursor.NONE);
        assertThat(SweepCursor.restore(all, 2, 1).failures()).isZero();
    }

    @Test
    void a_cursor_saved_before_failures_were_counted_sweeps_again_and_keeps_its_report() {
        // target, reported, done group, again, parallelism, subtask: a sweep to 9 under way.
        List<Long> own = List.of(9L, 4L, 3L, 0L, 2L, 1L);
        SweepCursor c = SweepCursor.restoreBeforeFailures(own, 2, 1);
        assertThat(c.running()).as("whom it failed on is not known").isFalse();
        assertThat(c.sweeping()).isTrue();
        assertThat(c.reported()).isEqualTo(4);
        List<Long> idle = List.of(SweepCursor.NONE, 4L, -1L, 0L, 2L, 1L);
        assertThat(SweepCursor.restoreBeforeFailures(idle, 2, 1).sweeping()).isFalse();
        // Rescaled, a subtask holds pieces of cursors: nothing in them is trusted.
        SweepCursor piece = SweepCursor.restoreBeforeFailures(List.of(1L, 9L, 4L, 3L), 3, 0);
        assertThat(piece.sweeping()).isTrue();
        assertThat(piece.reported()).isEqualTo(SweepCursor.NONE);
    }
}
