package io.cohortflow.core.eval;

import static io.cohortflow.core.Fixture.DAY;
import static io.cohortflow.core.Fixture.MINUTE;
import static io.cohortflow.core.Fixture.T0;
import static io.cohortflow.core.Fixture.ev;
import static io.cohortflow.core.Fixture.visitors;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.Fixture;
import io.cohortflow.core.event.Event;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Adobe's documented semantics of sequential segments, on the engine and the reference alike. */
class SequenceSemanticsTest {

    private static String hit(String name) {
        return "{\"func\":\"container\",\"context\":\"hits\",\"pred\":{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/name\"},\"str\":\""
                + name
                + "\"}}";
    }

    private static String seq(String func, String... items) {
        return visitors("{\"func\":\"" + func + "\",\"stream\":[" + String.join(",", items) + "]}");
    }

    private static String restriction(String func, String limit, int count, String extra) {
        return "{\"func\":\""
                + func
                + "\",\"limit\":\""
                + limit
                + "\",\"count\":"
                + count
                + ","
                + extra
                + "}";
    }

    private static boolean holds(String def, Event... events) {
        Fixture f = new Fixture();
        f.define("s", def);
        f.send(events);
        return f.member("s");
    }

    private static Event at(String name, long minutes) {
        return ev(name, T0 + minutes * MINUTE);
    }

    @Test
    void an_event_the_history_cap_drops_no_longer_completes_a_sequence() {
        Fixture f = new Fixture(new EngineConfig(Duration.ofDays(90), 3, Duration.ofMinutes(5)));
        f.define("s", seq("sequence", hit("A"), hit("B")));
        f.send(at("A", 0), at("B", 1));
        assertThat(f.member("s")).isTrue();
        f.send(at("C", 2), at("D", 3)); // A falls off the capped history
        assertThat(f.member("s")).isFalse();
        f.checkAgreement();
    }

    @Test
    void order_matters() {
        String def = seq("sequence", hit("A"), hit("B"));
        assertThat(holds(def, at("A", 0), at("B", 1))).isTrue();
        assertThat(holds(def, at("B", 0), at("A", 1))).isFalse();
    }

    @Test
    void A_then_C_then_B_does_not_match_B_within_1_hit_of_A() {
        String def =
                seq(
                        "sequence",
                        hit("A"),
                        restriction("container-restriction", "within", 1, "\"context\":\"hits\""),
                        hit("B"));
        assertThat(holds(def, at("A", 0), at("C", 1), at("B", 2))).isFalse();
        assertThat(holds(def, at("A", 0), at("B", 1))).isTrue();
    }

    @Test
    void the_search_is_not_greedy() {
        String def =
                seq(
                        "sequence",
                        hit("A"),
                        restriction("container-restriction", "within", 1, "\"context\":\"hits\""),
                        hit("B"));
        // The first A is two hits from B, the second one hit: a match exists.
        assertThat(holds(def, at("A", 0), at("A", 1), at("B", 2))).isTrue();
    }

    @Test
    void time_within_and_after() {
        String within =
                seq(
                        "sequence",
                        hit("A"),
                        restriction("time-restriction", "within", 1, "\"unit\":\"day\""),
                        hit("B"));
        assertThat(holds(within, at("A", 0), at("B", 60 * 23))).isTrue();
        assertThat(holds(within, at("A", 0), at("B", 60 * 25))).isFalse();
        String after =
                seq(
                        "sequence",
                        hit("A"),
                        restriction("time-restriction", "after", 2, "\"unit\":\"week\""),
                        hit("B"));
        assertThat(holds(after, at("A", 0), at("B", 60 * 24 * 21))).isTrue();
        assertThat(holds(after, at("A", 0), at("B", 60 * 24 * 7))).isFalse();
    }

    @Test
    void an_excluded_checkpoint_must_not_occur_between_its_neighbours() {
        String def =
                seq(
                        "sequence",
                        hit("A"),
                        "{\"func\":\"exclude-next-checkpoint\"}",
                        hit("C"),
                        hit("B"));
        assertThat(holds(def, at("A", 0), at("C", 1), at("B", 2))).isFalse();
        assertThat(holds(def, at("A", 0), at("B", 2))).isTrue();
        assertThat(holds(def, at("A", 0), at("B", 1), at("C", 2))).isTrue();
        // A later A without C in between still makes a match.
        assertThat(holds(def, at("A", 0), at("C", 1), at("A", 2), at("B", 3))).isTrue();
    }

    @Test
    void sequence_and_takes_its_checkpoints_in_any_order() {
        String def =
                seq(
                        "sequence",
                        "{\"func\":\"sequence-and\",\"checkpoints\":["
                                + hit("A")
                                + ","
                                + hit("B")
                                + "]}",
                        hit("D"));
        assertThat(holds(def, at("B", 0), at("A", 1), at("D", 2))).isTrue();
        assertThat(holds(def, at("A", 0), at("D", 1), at("B", 2))).isFalse();
    }

    @Test
    void a_sequence_and_may_start_later_than_its_earliest_member_to_meet_an_after_restriction() {
        String def =
                seq(
                        "sequence",
                        hit("A"),
                        restriction("container-restriction", "after", 2, "\"context\":\"hits\""),
                        "{\"func\":\"sequence-and\",\"checkpoints\":["
                                + hit("B")
                                + ","
                                + hit("C")
                                + "]}");
        // The first B is one hit after A, too soon; the second B and the C start three hits after.
        assertThat(holds(def, at("A", 0), at("B", 1), at("X", 2), at("B", 3), at("C", 4))).isTrue();
        assertThat(holds(def, at("A", 0), at("B", 1), at("C", 2))).isFalse();
    }

    @Test
    void a_sequence_and_keeps_every_member_inside_the_step_it_starts() {
        String def =
                seq(
                        "sequence",
                        hit("A"),
                        restriction("container-restriction", "after", 3, "\"context\":\"hits\""),
                        "{\"func\":\"sequence-and\",\"checkpoints\":["
                                + hit("B")
                                + ","
                                + hit("C")
                                + "]}");
        // Only the B is far enough from A; the C is not after it, so the group cannot start there.
        assertThat(holds(def, at("A", 0), at("C", 1), at("X", 2), at("B", 3))).isFalse();
    }

    @Test
    void sequence_or_takes_any_one_checkpoint() {
        String def =
                seq(
                        "sequence",
                        hit("A"),
                        "{\"func\":\"sequence-or\",\"checkpoints\":["
                                + hit("B")
                                + ","
                                + hit("C")
                                + "]}");
        assertThat(holds(def, at("A", 0), at("C", 1))).isTrue();
        assertThat(holds(def, at("C", 0), at("A", 1))).isFalse();
    }

    @Test
    void prefix_and_suffix_need_hits_before_or_after_the_sequence() {
        String prefix = seq("sequence-prefix", hit("A"), hit("B"));
        assertThat(holds(prefix, at("X", 0), at("A", 1), at("B", 2))).isTrue();
        assertThat(holds(prefix, at("A", 1), at("B", 2))).isFalse();
        String suffix = seq("sequence-suffix", hit("A"), hit("B"));
        assertThat(holds(suffix, at("A", 1), at("B", 2), at("X", 3))).isTrue();
        assertThat(holds(suffix, at("A", 1), at("B", 2))).isFalse();
    }

    @Test
    void an_exclusion_at_a_prefixs_open_end_covers_everything_before_the_sequence() {
        String def =
                seq(
                        "sequence-prefix",
                        "{\"func\":\"exclude-next-checkpoint\"}",
                        hit("X"),
                        hit("A"));
        assertThat(holds(def, at("Y", 0), at("A", 1))).isTrue();
        // The hit before the sequence could be Y, right before A: X still occurred before A.
        assertThat(holds(def, at("X", 0), at("Y", 1), at("A", 2))).isFalse();
        assertThat(holds(def, at("Y", 0), at("X", 1), at("A", 2))).isFalse();
    }

    @Test
    void an_exclusion_at_a_suffixs_open_end_covers_everything_after_the_sequence() {
        String def =
                seq(
                        "sequence-suffix",
                        hit("A"),
                        "{\"func\":\"exclude-next-checkpoint\"}",
                        hit("X"));
        assertThat(holds(def, at("A", 0), at("Y", 1))).isTrue();
        assertThat(holds(def, at("A", 0), at("Y", 1), at("X", 2))).isFalse();
        assertThat(holds(def, at("A", 0), at("X", 1), at("Y", 2))).isFalse();
        // A later A with no X after it still makes a match.
        assertThat(holds(def, at("A", 0), at("X", 1), at("A", 2), at("Y", 3))).isTrue();
    }

    @Test
    void visit_checkpoints_need_separate_visits_in_order() {
        String visitA =
                "{\"func\":\"container\",\"context\":\"visits\",\"pred\":{\"func\":\"event-exists\",\"evt\":\"A\"}}";
        String visitB =
                "{\"func\":\"container\",\"context\":\"visits\",\"pred\":{\"func\":\"event-exists\",\"evt\":\"B\"}}";
        String def = seq("sequence", visitA, visitB);
        assertThat(holds(def, at("A", 0).withSession("v1"), at("B", 1).withSession("v2"))).isTrue();
        assertThat(holds(def, at("A", 0).withSession("v1"), at("B", 1).withSession("v1")))
                .isFalse();
    }

    @Test
    void visit_count_restrictions_count_visits_between() {
        String def =
                seq(
                        "sequence",
                        hit("A"),
                        restriction("container-restriction", "within", 1, "\"context\":\"visits\""),
                        hit("B"));
        assertThat(holds(def, at("A", 0).withSession("v1"), at("B", 1).withSession("v2"))).isTrue();
        assertThat(
                        holds(
                                def,
                                at("A", 0).withSession("v1"),
                                at("X", 1).withSession("v2"),
                                at("B", 2).withSession("v3")))
                .isFalse();
    }

    @Test
    void dimension_restrictions_count_value_changes() {
        String def =
                seq(
                        "sequence",
                        hit("A"),
                        restriction(
                                "dimension-restriction",
                                "within",
                                1,
                                "\"attr\":{\"func\":\"attr\",\"name\":\"variables/page\"}"),
                        hit("B"));
        Event a = ev("A", T0, "page", "home");
        assertThat(holds(def, a, ev("B", T0 + MINUTE, "page", "article"))).isTrue();
        assertThat(
                        holds(
                                def,
                                a,
                                ev("X", T0 + MINUTE, "page", "list"),
                                ev("B", T0 + 2 * MINUTE, "page", "article")))
                .isFalse();
    }

    @Test
    void a_dimension_restriction_counts_changes_of_list_values_too() {
        String def =
                seq(
                        "sequence",
                        hit("A"),
                        restriction(
                                "dimension-restriction",
                                "after",
                                1,
                                "\"attr\":{\"func\":\"attr\",\"name\":\"variables/tags\"}"),
                        hit("B"));
        Event a = ev("A", T0, "tags", java.util.List.of("x"));
        assertThat(holds(def, a, ev("B", T0 + MINUTE, "tags", java.util.List.of("y")))).isTrue();
        assertThat(holds(def, a, ev("B", T0 + MINUTE, "tags", java.util.List.of("x")))).isFalse();
    }

    @Test
    void a_sequence_inside_a_visit_stays_within_the_visit() {
        String def =
                "{\"func\":\"segment-def\",\"container\":{\"func\":\"container\",\"context\":\"visits\",\"pred\":"
                        + "{\"func\":\"sequence\",\"stream\":["
                        + hit("A")
                        + ","
                        + hit("B")
                        + "]}}}";
        assertThat(holds(def, at("A", 0).withSession("v1"), at("B", 1).withSession("v1"))).isTrue();
        assertThat(holds(def, at("A", 0).withSession("v1"), at("B", 1).withSession("v2")))
                .isFalse();
    }

    @Test
    void a_sequence_lapses_when_its_window_passes() {
        String def =
                "{\"func\":\"segment-def\",\"container\":{\"func\":\"container\",\"context\":\"visitors\","
                        + "\"window\":{\"count\":1,\"unit\":\"day\"},\"pred\":{\"func\":\"sequence\",\"stream\":["
                        + hit("A")
                        + ","
                        + hit("B")
                        + "]}}}";
        Fixture f = new Fixture();
        f.define("s", def);
        f.send(at("A", 0), at("B", 10));
        assertThat(f.member("s")).isTrue();
        assertThat(f.profile.nextExpiry()).isEqualTo(T0 + DAY);
        assertThat(f.advanceTo(T0 + DAY))
                .singleElement()
                .satisfies(c -> assertThat(c.kind()).isEqualTo(MembershipChange.Kind.EXITED));
    }
}
