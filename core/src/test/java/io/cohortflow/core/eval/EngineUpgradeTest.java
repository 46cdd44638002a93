package io.cohortflow.core.eval;

import static io.cohortflow.core.Fixture.DAY;
import static io.cohortflow.core.Fixture.T0;
import static io.cohortflow.core.Fixture.ev;
import static io.cohortflow.core.Fixture.visitors;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.Fixture;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A profile written by the engine before v2 (its counters compiled otherwise: a count per threshold
 * where v2 keeps one maximum) is rebuilt from the user's history on its next use, so a job restored
 * from an older savepoint answers as if it had run v2 all along.
 */
class EngineUpgradeTest {
    private static final String DEEP_READER =
            visitors(
                    "{\"func\":\"gt\",\"val\":{\"func\":\"attr\",\"name\":\"variables/depth\"},\"num\":50}");

    @Test
    void a_profile_of_the_previous_engine_is_rebuilt_from_history_on_its_next_event()
            throws Exception {
        Fixture f = new Fixture();
        f.define("deep", DEEP_READER);
        f.send(ev("Pageview", T0, "depth", 80));
        assertThat(f.member("deep")).isTrue();

        // As a savepoint of the previous engine holds it: encoding version 2, no counters version,
        // and none of its counters known to this engine.
        f.profile.counters.clear();
        f.profile = ProfileCodec.fromBytes(PreviousProfileCodec.write(f.profile, f.catalog, 2));
        assertThat(f.profile.countersVersion).isEqualTo(1);

        // A shallow page view alone would read depth 10 as the largest: the deep one is in the
        // history, so the user stays in the segment.
        List<MembershipChange> changes =
                f.engine
                        .onEvents(
                                f.profile,
                                f.history,
                                f.catalog,
                                List.of(ev("Pageview", T0 + DAY, "depth", 10)))
                        .changes();
        assertThat(changes).isEmpty();
        assertThat(f.member("deep")).isTrue();
        // What the next evaluation will read: the largest depth of the history, not of the one
        // event seen since the restore.
        assertThat(
                        Formula.holds(
                                f.catalog.segment("deep").orElseThrow().formula(),
                                f.profile,
                                EngineConfig.DEFAULT.horizonMillis()))
                .isTrue();
        assertThat(f.profile.countersVersion).isEqualTo(UserProfile.COUNTERS);
        f.checkAgreement();
    }

    /** Segments reading counters of every kind the version 10 test below drops and rebuilds. */
    private static final String[][] COUNTING = {
        {"deep", DEEP_READER},
        {
            "spender",
            visitors(
                    "{\"func\":\"ge\",\"val\":{\"func\":\"attr\",\"name\":\"metrics/revenue\"},\"num\":50}")
        },
        {
            "regular",
            visitors(
                    "{\"func\":\"ge\",\"val\":{\"func\":\"attr\",\"name\":\"metrics/occurrences\"},\"num\":3}")
        },
    };

    @Test
    void a_profile_keying_counters_by_hash_is_read_without_them_and_rebuilt_on_its_next_event()
            throws Exception {
        Fixture upgraded = new Fixture();
        Fixture control = new Fixture();
        for (Fixture f : List.of(upgraded, control)) {
            for (String[] d : COUNTING) {
                f.define(d[0], d[1]);
            }
            f.send(
                    ev("Pageview", T0, "depth", 80, "revenue", 30),
                    ev("Pageview", T0 + 1000, "revenue", 25),
                    ev("Pageview", T0 + 2000, "depth", 5));
        }
        assertThat(upgraded.cohorts()).containsExactlyInAnyOrder("deep", "spender", "regular");
        assertThat(upgraded.profile.counters.size()).isGreaterThanOrEqualTo(3);

        // As a checkpoint of encoding version 10 holds it: counters under 64-bit hashes.
        upgraded.profile =
                ProfileCodec.fromBytes(
                        PreviousProfileCodec.writeVersion10(
                                upgraded.profile,
                                number ->
                                        upgraded.catalog
                                                .ordinals()
                                                .storeHashes()
                                                .get((int) number)));
        assertThat(upgraded.profile.counters.isEmpty()).isTrue();
        assertThat(upgraded.profile.countersVersion).isEqualTo(UserProfile.HASHED_COUNTERS);

        // The next event rebuilds them from the history: the same answers, the same state.
        for (Fixture f : List.of(upgraded, control)) {
            assertThat(f.send(ev("Search", T0 + DAY))).isEmpty();
            f.checkAgreement();
        }
        assertThat(upgraded.cohorts()).containsExactlyInAnyOrder("deep", "spender", "regular");
        assertThat(ProfileCodec.toBytes(upgraded.profile))
                .isEqualTo(ProfileCodec.toBytes(control.profile));
    }
}
