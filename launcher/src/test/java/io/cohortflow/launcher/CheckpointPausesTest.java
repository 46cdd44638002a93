package io.cohortflow.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class CheckpointPausesTest {
    private static final long MS = 1_000_000;

    @Test
    void requests_in_the_window_after_a_trigger_are_told_from_the_others() {
        // Triggers at 1 000 and 2 500 ms; the window is [trigger, trigger + 400).
        long[] scheduled = {900, 1000, 1399, 1400, 2000, 2600};
        long[] latency = {3 * MS, 100 * MS, 90 * MS, 1 * MS, 2 * MS, 80 * MS};
        LatencyBenchmark.Result r = new LatencyBenchmark.Result(6, 0, 0, 0, scheduled, latency);

        String split = CheckpointPauses.triggeredAt(List.of(2500L, 1000L)).split(r);

        assertThat(split).isEqualTo("100.0 / 3.0 (50 %)");
    }

    @Test
    void with_no_trigger_every_request_counts_as_later() {
        LatencyBenchmark.Result r =
                new LatencyBenchmark.Result(
                        2, 0, 0, 0, new long[] {10, 20}, new long[] {5 * MS, 7 * MS});

        assertThat(CheckpointPauses.triggeredAt(List.of()).split(r)).isEqualTo("- / 7.0 (0 %)");
    }
}
