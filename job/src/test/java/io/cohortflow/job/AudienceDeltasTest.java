package io.cohortflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.eval.MembershipChange;
import io.cohortflow.job.model.AudienceDelta;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AudienceDeltasTest {
    private static long at(String t) {
        return Instant.parse(t).toEpochMilli();
    }

    @Test
    void a_late_change_within_the_minute_series_span_counts_in_its_minute() {
        AudienceDeltas d = new AudienceDeltas((workspace, segment) -> false);
        d.start();
        d.add(
                "ws",
                List.of(
                        new MembershipChange(
                                "s",
                                MembershipChange.Kind.ENTERED,
                                at("2026-12-05T12:00:00Z"),
                                1)));
        // An hour and a half late: the service's minute sizes before 10:30 need it.
        d.add(
                "ws",
                List.of(
                        new MembershipChange(
                                "s",
                                MembershipChange.Kind.ENTERED,
                                at("2026-12-05T10:30:10Z"),
                                1)));
        // A day and more late: past what the minute series keeps; its hour still counts it.
        d.add(
                "ws",
                List.of(
                        new MembershipChange(
                                "s", MembershipChange.Kind.EXITED, at("2026-12-04T10:00:00Z"), 1)));
        List<AudienceDelta> out = new ArrayList<>();
        d.drain(out::add);
        AudienceDelta s = out.get(0);
        List<Long> minutes = new ArrayList<>();
        for (long m : s.minutes) {
            minutes.add(m);
        }
        assertThat(minutes)
                .containsExactlyInAnyOrder(at("2026-12-05T12:00:00Z"), at("2026-12-05T10:30:00Z"));
        assertThat(s.hours).hasSize(3);
    }

    /**
     * Two workspaces a day apart in event time on one subtask (one live, one replaying): each
     * segment's minute series spans a day back from its own newest change, so the lagging one's
     * changes count in their minutes too. Measured against the subtask's newest, none did, and its
     * minute series stayed flat.
     */
    @Test
    void a_segment_a_day_behind_the_subtasks_newest_change_counts_in_its_minutes() {
        AudienceDeltas d = new AudienceDeltas((workspace, segment) -> false);
        d.start();
        d.add(
                "live",
                List.of(
                        new MembershipChange(
                                "now",
                                MembershipChange.Kind.ENTERED,
                                at("2026-12-05T12:00:00Z"),
                                1)));
        d.add(
                "replayed",
                List.of(
                        new MembershipChange(
                                "behind",
                                MembershipChange.Kind.ENTERED,
                                at("2026-12-04T08:00:00Z"),
                                1)));
        List<AudienceDelta> out = new ArrayList<>();
        d.drain(out::add);
        AudienceDelta behind =
                out.stream().filter(x -> x.segmentId.equals("behind")).findFirst().orElseThrow();
        assertThat(behind.minutes).containsExactly(at("2026-12-04T08:00:00Z"));
    }
}
