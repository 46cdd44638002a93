package io.cohortflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.job.model.Inbound;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.junit.jupiter.api.Test;

class IdleAwareWatermarksTest {
    private static final long WALL = 1_800_000_000_000L;
    private final AtomicLong clock = new AtomicLong(WALL);
    private final List<Long> emitted = new ArrayList<>();
    private boolean idle;
    private final WatermarkOutput out =
            new WatermarkOutput() {
                @Override
                public void emitWatermark(Watermark w) {
                    emitted.add(w.getTimestamp());
                }

                @Override
                public void markIdle() {
                    idle = true;
                }

                @Override
                public void markActive() {}
            };
    private final IdleAwareWatermarks w =
            new IdleAwareWatermarks(
                    IdleTime.of(Duration.ofSeconds(5), Duration.ofSeconds(30)), clock::get);

    private long last() {
        return emitted.get(emitted.size() - 1);
    }

    @Test
    void a_busy_partition_keeps_its_events_time_even_far_behind_the_clock() {
        long old = WALL - Duration.ofDays(3).toMillis(); // a backlog being read
        for (int i = 0; i < 100; i++) {
            clock.addAndGet(1_000);
            w.onEvent(new Inbound(), old + i * 1_000, out);
            w.onPeriodicEmit(out);
        }
        assertThat(last()).isEqualTo(old + 99_000 - 5_000 - 1);
    }

    @Test
    void an_idle_partition_follows_the_wall_clock_less_the_allowed_delay() {
        w.onEvent(new Inbound(), WALL - 10_000, out); // live: ten seconds behind the clock
        clock.addAndGet(29_999);
        w.onPeriodicEmit(out);
        assertThat(last()).isEqualTo(WALL - 10_000 - 5_001);
        clock.addAndGet(1);
        w.onPeriodicEmit(out);
        assertThat(last()).isEqualTo(WALL + 30_000 - 5_001);
        clock.addAndGet(10_000);
        w.onPeriodicEmit(out);
        assertThat(last()).isEqualTo(WALL + 40_000 - 5_001);
    }

    @Test
    void lookups_carry_no_time_and_do_not_keep_a_partition_busy() {
        w.onEvent(new Inbound(), WALL - 1_000, out);
        clock.addAndGet(20_000);
        w.onEvent(new Inbound(), Long.MIN_VALUE, out);
        clock.addAndGet(10_000);
        w.onPeriodicEmit(out);
        assertThat(last()).isEqualTo(WALL + 30_000 - 5_001);
    }

    @Test
    void a_partition_whose_last_events_were_far_behind_the_clock_never_follows_it() {
        long old = WALL - Duration.ofDays(2).toMillis(); // the end of a backlog, or a held reader
        w.onEvent(new Inbound(), old, out);
        clock.addAndGet(Duration.ofMinutes(10).toMillis());
        w.onPeriodicEmit(out);
        assertThat(last()).isEqualTo(old - 5_001);
    }

    /**
     * A partition quiet for a quarter of an hour follows the clock; one event of twelve minutes ago
     * (a mobile client's, sent late) is late, and must not take it off the clock: the operator's
     * watermark is the least of its partitions', so every user's lapses would stop.
     */
    @Test
    void a_late_event_does_not_take_a_partition_that_follows_the_clock_off_it() {
        w.onEvent(new Inbound(), WALL - 1_000, out);
        clock.addAndGet(Duration.ofMinutes(15).toMillis());
        w.onPeriodicEmit(out);
        long following = WALL + Duration.ofMinutes(15).toMillis() - 5_001;
        assertThat(last()).isEqualTo(following);
        w.onEvent(new Inbound(), WALL + Duration.ofMinutes(3).toMillis(), out);
        w.onPeriodicEmit(out);
        assertThat(last()).isEqualTo(following);
        clock.addAndGet(30_000);
        w.onPeriodicEmit(out);
        assertThat(last()).isEqualTo(following + 30_000);
    }

    /**
     * Nor does a straggler every few seconds: counted as activity, each held the partition off the
     * clock for another idleness period, and with it every user's lapses, for as long as they kept
     * coming.
     */
    @Test
    void late_events_keep_coming_and_the_partition_still_follows_the_clock() {
        w.onEvent(new Inbound(), WALL - 1_000, out);
        clock.addAndGet(Duration.ofMinutes(15).toMillis());
        w.onPeriodicEmit(out);
        long following = WALL + Duration.ofMinutes(15).toMillis() - 5_001;
        assertThat(last()).isEqualTo(following);
        for (int i = 1; i <= 12; i++) {
            clock.addAndGet(10_000);
            w.onEvent(new Inbound(), WALL + Duration.ofMinutes(3).toMillis(), out);
            w.onPeriodicEmit(out);
            assertThat(last()).as("after %d stragglers", i).isEqualTo(following + i * 10_000L);
        }
    }

    @Test
    void a_generator_without_events_declares_itself_idle_and_moves_nothing() {
        clock.addAndGet(30_000);
        w.onPeriodicEmit(out);
        assertThat(emitted).isEmpty();
        assertThat(idle).isTrue();
    }

    @Test
    void the_watermark_never_goes_back() {
        w.onEvent(new Inbound(), WALL - 1_000, out);
        clock.addAndGet(30_000);
        w.onPeriodicEmit(out); // idle: the clock's time
        w.onEvent(new Inbound(), WALL - 1_000_000, out); // an old event wakes it up
        w.onPeriodicEmit(out);
        assertThat(emitted).isSorted();
        assertThat(last()).isEqualTo(WALL + 30_000 - 5_001);
    }
}
