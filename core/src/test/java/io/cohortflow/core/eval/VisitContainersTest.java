package io.cohortflow.core.eval;

import static io.cohortflow.core.Fixture.MINUTE;
import static io.cohortflow.core.Fixture.T0;
import static io.cohortflow.core.Fixture.visitors;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.Fixture;
import io.cohortflow.core.event.Event;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Visit containers over visits that interleave or lose events to the history cap and the horizon:
 * every step checks the engine against evaluation from scratch ({@link Fixture#send}).
 */
class VisitContainersTest {
    private static final String VISIT_WITH_A_AND_B =
            visitors(
                    "{\"func\":\"container\",\"context\":\"visits\",\"pred\":{\"func\":\"and\",\"preds\":["
                            + exists("A")
                            + ","
                            + exists("B")
                            + "]}}");

    private static String exists(String name) {
        return "{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/"
                + name
                + "\"}}";
    }

    /** A visit with an event named {@code name} and at least {@code occurrences} events. */
    private static String visitWith(String name, int occurrences) {
        return visitors(
                "{\"func\":\"container\",\"context\":\"visits\",\"pred\":{\"func\":\"and\",\"preds\":["
                        + exists(name)
                        + ",{\"func\":\"ge\",\"val\":{\"func\":\"attr\",\"name\":\"metrics/occurrences\"},\"num\":"
                        + occurrences
                        + "}]}}");
    }

    private static Event ev(String name, long time, String session) {
        return new Event(name, time, Map.of(), null, session);
    }

    @Test
    void interleaved_visits_are_told_apart() {
        Fixture f = new Fixture();
        f.define("ab", VISIT_WITH_A_AND_B);
        long t = T0;
        f.send(ev("A", t += MINUTE, "s1"), ev("B", t += MINUTE, "s2"));
        assertThat(f.member("ab")).isFalse();
        f.send(ev("C", t += MINUTE, "s2"), ev("B", t += MINUTE, "s1"));
        assertThat(f.member("ab")).isTrue();
    }

    @Test
    void the_gates_read_a_visit_from_the_history_only_when_the_visit_changes() {
        Fixture f = new Fixture();
        f.define("ab", VISIT_WITH_A_AND_B);
        long t = T0;
        f.send(ev("A", t += MINUTE, "s1"), ev("B", t += MINUTE, "s1"));
        assertThat(f.member("ab")).isTrue();
        EngineStats stats = f.engine.stats();
        stats.reset();
        // A member stays one whatever the visit's names: the gates ask, the profile's marks
        // answer, nothing is evaluated.
        f.send(ev("A", t += MINUTE, "s1"), ev("B", t += MINUTE, "s1"));
        assertThat(stats.historyReads()).isZero();
        assertThat(stats.visitsMarked()).isZero();
        // A new visit, which the history holds nothing else of: marked without a read.
        f.send(ev("A", t += MINUTE, "s2"));
        assertThat(stats.visitsStarted()).isEqualTo(1);
        assertThat(stats.visitsMarked()).isZero();
        assertThat(stats.historyReads()).isZero();
        f.send(ev("B", t += MINUTE, "s2"), ev("A", t += MINUTE, "s2"));
        assertThat(stats.visitsMarked()).isZero();
        assertThat(stats.historyReads()).isZero();
        // A late event of the first visit: its names are read, through the codec as the job
        // stores the profile.
        f.profile = ProfileCodec.fromBytes(ProfileCodec.toBytes(f.profile));
        f.send(ev("B", T0 + MINUTE / 2, "s1"));
        assertThat(stats.visitsMarked()).isEqualTo(1);
        f.profile = ProfileCodec.fromBytes(ProfileCodec.toBytes(f.profile));
        f.send(ev("A", t += MINUTE, "s1"));
        assertThat(stats.visitsMarked()).isEqualTo(1);
        assertThat(f.member("ab")).isTrue();
        // A visit resumed after another: read once, then marked.
        f.send(ev("B", t += MINUTE, "s2"));
        assertThat(stats.visitsMarked()).isEqualTo(2);
        assertThat(stats.visitsStarted()).isEqualTo(1);
    }

    /** In a list, and in chunks as the job holds it: the open chunk is what is in memory. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void a_visit_whose_events_came_one_after_another_is_read_from_the_newest_events(
            boolean chunked) {
        Fixture f = new Fixture();
        f.chunked = chunked;
        f.define("ab", VISIT_WITH_A_AND_B);
        long t = T0;
        f.send(ev("X", t += MINUTE, "s0"), ev("A", t += MINUTE, "s1"));
        assertThat(f.profile.visits.run).as("the visit marked is the newest events").isEqualTo(1);
        EngineStats stats = f.engine.stats();
        stats.reset();
        f.profile = ProfileCodec.fromBytes(ProfileCodec.toBytes(f.profile));
        f.send(ev("C", t += MINUTE, "s1"), ev("B", t += MINUTE, "s1"));
        assertThat(f.member("ab")).isTrue();
        assertThat(f.profile.visits.run).isEqualTo(3);
        assertThat(stats.visitsFromRun()).isPositive();
        assertThat(stats.historyReads()).as("neither the visit nor its recheck").isZero();
        // A late event of the visit ends the run: the visit is read from the history again.
        f.send(ev("D", t - MINUTE / 2, "s1"));
        assertThat(f.profile.visits.run).isEqualTo(-1);
        f.send(ev("E", t += MINUTE, "s1"));
        assertThat(f.profile.visits.run).isEqualTo(-1);
        // Another visit is marked with its run, which another visit's event ends.
        f.send(ev("A", t += MINUTE, "s2"));
        assertThat(f.profile.visits.run).isEqualTo(1);
        f.send(ev("F", t += MINUTE, "s3"));
        assertThat(f.profile.visits.run).as("no gate asks of F: s3 is not marked").isEqualTo(-1);
    }

    @Test
    void a_run_that_does_not_hold_is_found_out_and_the_visit_read_from_the_history() {
        Fixture f = new Fixture();
        f.define("three", visitWith("B", 3));
        long t = T0;
        f.send(ev("X", t += MINUTE, "s0"), ev("B", t += MINUTE, "s1"));
        // As if the profile were damaged: a run reaching past the visit, into s0's X.
        f.profile.visits.run = 2;
        EngineStats stats = f.engine.stats();
        stats.reset();
        f.send(ev("A", t += MINUTE, "s1")); // checked against evaluation from scratch
        assertThat(f.member("three")).as("two events of s1, and X of s0").isFalse();
        assertThat(stats.visitsFromRun()).isZero();
        f.send(ev("C", t += MINUTE, "s1"));
        assertThat(f.member("three")).isTrue();
    }

    @Test
    void visits_sharing_a_hash_are_read_not_taken_for_new_ones() {
        assertThat(VisitCounts.hash("Aa")).isEqualTo(VisitCounts.hash("BB"));
        Fixture f = new Fixture();
        f.chunked = true;
        f.define("ab", VISIT_WITH_A_AND_B);
        long t = T0;
        f.send(ev("A", t += MINUTE, "Aa"));
        EngineStats stats = f.engine.stats();
        stats.reset();
        f.send(ev("B", t += MINUTE, "BB")); // checked against evaluation from scratch
        assertThat(stats.visitsStarted()).isZero();
        assertThat(stats.visitsMarked()).isEqualTo(1);
        assertThat(f.member("ab")).as("A and B are of two visits").isFalse();
    }

    @Test
    void past_the_visits_counted_a_filter_tells_new_visits_and_is_built_again_once_full() {
        Fixture f = new Fixture(new EngineConfig(Duration.ofDays(1), 1000, Duration.ofMinutes(5)));
        f.chunked = true;
        f.define("ab", VISIT_WITH_A_AND_B);
        long t = T0;
        for (int i = 0; i <= VisitCounts.MAX; i++) {
            f.send(ev("A", t += MINUTE, "s" + i));
        }
        assertThat(f.profile.visits.counts.known()).isFalse();
        assertThat(f.profile.visits.counts.kept()).isTrue();
        EngineStats stats = f.engine.stats();
        stats.reset();
        f.send(ev("B", t += MINUTE, "new")); // checked against evaluation from scratch
        assertThat(stats.visitsStarted()).as("told new by the filter").isEqualTo(1);
        assertThat(stats.historyReads()).isZero();
        f.send(ev("B", t += MINUTE, "s3"));
        assertThat(stats.visitsMarked()).as("a stored visit: read").isEqualTo(1);
        assertThat(f.member("ab")).isTrue();
        // New visits until the filter is full: forgotten, then built again at the next read.
        int i = 0;
        while (f.profile.visits.counts.kept()) {
            f.send(ev("C", t += MINUTE, "more-" + i++));
        }
        t += Duration.ofDays(2).toMillis(); // every earlier visit leaves the horizon
        f.send(ev("A", t, "late"));
        // A visit that left is still in the filter, now stale: read, and counted again.
        f.send(ev("B", t += MINUTE, "s3"));
        assertThat(f.profile.visits.counts.known()).isTrue();
        assertThat(f.member("ab")).isFalse();
        stats.reset();
        f.send(ev("B", t += MINUTE, "late"));
        assertThat(f.member("ab")).isTrue();
        f.send(ev("B", t += MINUTE, "newer"));
        assertThat(stats.visitsStarted()).isEqualTo(1);
    }

    @Test
    void a_profile_of_version_13_counts_its_visits_at_its_next_read() throws Exception {
        Fixture f = new Fixture();
        f.chunked = true;
        f.define("ab", VISIT_WITH_A_AND_B);
        long t = T0;
        f.send(ev("A", t += MINUTE, "s1"), ev("C", t += MINUTE, "s2"));
        f.profile = ProfileCodec.fromBytes(PreviousProfileCodec.writeVersion13(f.profile));
        assertThat(f.profile.visits.counts.known()).isFalse();
        assertThat(f.profile.visits.run).isEqualTo(-1);
        f.send(ev("B", t += MINUTE, "s1")); // checked against evaluation from scratch
        assertThat(f.member("ab")).isTrue();
        assertThat(f.profile.visits.counts.known()).isTrue();
        assertThat(f.profile.visits.counts.count("s1")).isEqualTo(2);
    }

    @Test
    void a_monotone_container_rechecks_a_member_when_its_visit_leaves_and_a_non_member_never() {
        Fixture f = new Fixture(new EngineConfig(Duration.ofDays(1), 1000, Duration.ofMinutes(5)));
        f.chunked = true;
        f.define("ab", VISIT_WITH_A_AND_B);
        f.define("four", visitWith("B", 4));
        int four = f.catalog.segment("four").orElseThrow().ordinal();
        long t = T0;
        f.send(ev("X", t += MINUTE, "s0"), ev("A", t += MINUTE, "s1"));
        long first = t;
        f.send(ev("C", t += MINUTE, "s1"), ev("B", t += MINUTE, "s1"));
        assertThat(f.member("ab")).isTrue();
        // Three events with a B: not a member, and, as events leaving only take hits away,
        // nothing to recheck for it.
        assertThat(f.member("four")).isFalse();
        assertThat(f.profile.rechecks.find(four)).isNegative();
        // A member goes when its visit's first event leaves the horizon: checked at that instant
        // against evaluation from scratch.
        f.advanceTo(first + Duration.ofDays(1).toMillis() - 1);
        assertThat(f.member("ab")).isTrue();
        f.advanceTo(first + Duration.ofDays(1).toMillis());
        assertThat(f.member("ab")).isFalse();
    }

    @Test
    void a_visit_cut_by_the_history_cap_counts_only_the_events_left() {
        Fixture f = new Fixture(new EngineConfig(Duration.ofDays(30), 3, Duration.ofMinutes(5)));
        f.define("four", visitWith("D", 4));
        long t = T0;
        f.send(ev("A", t += MINUTE, "s1"), ev("B", t += MINUTE, "s1"), ev("C", t += MINUTE, "s1"));
        f.send(ev("D", t += MINUTE, "s1"));
        assertThat(f.member("four")).as("the first event fell off the history").isFalse();
    }

    @Test
    void a_visit_cut_by_the_horizon_counts_only_the_events_left() {
        Fixture f = new Fixture(new EngineConfig(Duration.ofDays(1), 100, Duration.ofMinutes(5)));
        f.define("two", visitWith("D", 2));
        f.send(ev("A", T0, "s1"));
        f.send(ev("D", T0 + Duration.ofDays(2).toMillis(), "s1"));
        assertThat(f.member("two")).as("the first event left the horizon").isFalse();
    }

    @Test
    void a_late_event_the_cap_drops_at_once_leaves_the_history_as_it_was() {
        Fixture f = new Fixture(new EngineConfig(Duration.ofDays(30), 1, Duration.ofMinutes(5)));
        f.define(
                "any",
                visitors(
                        "{\"func\":\"container\",\"context\":\"visits\",\"pred\":"
                                + "{\"func\":\"ge\",\"val\":{\"func\":\"attr\",\"name\":\"metrics/occurrences\"},\"num\":1}}"));
        f.send(ev("B", T0 + 10 * MINUTE, "s1"));
        f.send(ev("A", T0 + 5 * MINUTE, "s1"));
        assertThat(f.member("any")).as("the one event left is still visible").isTrue();
    }
}
