package io.cohortflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which change of the user TTL settings between runs needs a sweep of every user. */
class UserTtlsTest {
    /** The default TTL and, after it, workspace/TTL pairs. */
    private static SegmentationSettings ttls(String defaultTtl, String... workspaceTtls) {
        Map<String, String> p = new HashMap<>();
        p.put("cohortflow.state.user-ttl", defaultTtl);
        for (int i = 0; i < workspaceTtls.length; i += 2) {
            p.put(
                    "cohortflow.job.workspace." + workspaceTtls[i] + ".user-ttl",
                    workspaceTtls[i + 1]);
        }
        return SegmentationSettings.of(JobConfig.from(p), 0, false);
    }

    private static boolean sweeps(SegmentationSettings before, SegmentationSettings now) {
        return UserTtls.shortened(now, UserTtls.state(before));
    }

    @Test
    void the_state_is_the_default_then_each_workspaces_own() {
        assertThat(UserTtls.state(ttls("P1D", "b", "PT2S", "a", "0 ms")))
                .containsExactly("86400000", "0/a", "2000/b");
    }

    @Test
    void a_ttl_turned_on_or_shortened_for_some_workspace_sweeps() {
        assertThat(sweeps(ttls("0 ms"), ttls("0 ms", "ws", "P2D"))).as("turned on").isTrue();
        assertThat(sweeps(ttls("0 ms"), ttls("P2D"))).as("the default turned on").isTrue();
        assertThat(sweeps(ttls("P30D", "ws", "P10D"), ttls("P30D", "ws", "P2D")))
                .as("shortened")
                .isTrue();
        assertThat(sweeps(ttls("P30D"), ttls("P30D", "ws", "P2D")))
                .as("a workspace's own, shorter than the default")
                .isTrue();
        assertThat(sweeps(ttls("P2D", "ws", "P30D"), ttls("P2D")))
                .as("a workspace's own removed: the shorter default")
                .isTrue();
        assertThat(sweeps(ttls("P30D", "ws", "0 ms"), ttls("P2D", "ws", "0 ms")))
                .as("the default shortened, for the workspaces named in neither")
                .isTrue();
    }

    @Test
    void the_same_ttls_or_longer_ones_or_none_sweep_nobody() {
        assertThat(sweeps(ttls("P2D", "ws", "P1D"), ttls("P2D", "ws", "P1D"))).isFalse();
        assertThat(sweeps(ttls("P2D", "ws", "P1D"), ttls("P3D", "ws", "P5D")))
                .as("lengthened")
                .isFalse();
        assertThat(sweeps(ttls("P2D", "ws", "P1D"), ttls("0 ms"))).as("turned off").isFalse();
        assertThat(sweeps(ttls("P2D"), ttls("P30D", "ws", "P2D")))
                .as("a workspace's own, as the default was")
                .isFalse();
        assertThat(sweeps(ttls("0 ms"), ttls("0 ms"))).isFalse();
    }

    @Test
    void every_old_subtasks_copy_reads_as_one() {
        List<String> saved = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            saved.addAll(UserTtls.state(ttls("P2D", "ws", "P1D")));
        }
        assertThat(UserTtls.shortened(ttls("P2D", "ws", "P1D"), saved)).isFalse();
        assertThat(UserTtls.shortened(ttls("P2D", "ws", "PT12H"), saved)).isTrue();
    }

    /**
     * State from before the TTLs were kept (or a backfill's bootstrap): no timer accounts for one.
     */
    @Test
    void with_nothing_saved_any_ttl_sweeps() {
        assertThat(UserTtls.shortened(ttls("0 ms", "ws", "P2D"), List.of())).isTrue();
        assertThat(UserTtls.shortened(ttls("P2D"), List.of())).isTrue();
        assertThat(UserTtls.shortened(ttls("0 ms", "ws", "0 ms"), List.of())).isFalse();
    }

    @Test
    void a_backfill_expires_nobody_and_never_sweeps_for_it() {
        SegmentationSettings backfill =
                SegmentationSettings.backfill(
                        JobConfig.from(Map.of("cohortflow.state.user-ttl", "P2D")), 0, 10);
        assertThat(UserTtls.shortened(backfill, List.of())).isFalse();
    }
}
