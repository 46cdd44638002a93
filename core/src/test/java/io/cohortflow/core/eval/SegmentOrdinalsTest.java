package io.cohortflow.core.eval;

import static io.cohortflow.core.Fixture.DAY;
import static io.cohortflow.core.Fixture.T0;
import static io.cohortflow.core.Fixture.ev;
import static io.cohortflow.core.Fixture.visitors;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohortflow.core.Fixture;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Profiles store memberships under segment ordinals: numbers given in the order the definitions log
 * puts segments in a catalog, never reused, so that a profile cannot read a membership under the
 * wrong segment; profiles stored under segment ids are moved under ordinals on first use.
 */
class SegmentOrdinalsTest {
    private static final String SPORT =
            visitors("{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"Sport\"}}");
    private static final String NEWS =
            visitors("{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"News\"}}");

    @Test
    void segments_are_numbered_in_log_order_and_a_number_is_never_given_to_another_segment() {
        Fixture f = new Fixture();
        f.define("sport", SPORT);
        f.define("news", NEWS);
        f.remove("sport");
        f.define("weather", NEWS);
        f.define("sport", SPORT); // back again: its old number
        SegmentOrdinals o = f.catalog.ordinals();
        assertThat(o.asMap()).isEqualTo(Map.of("sport", 0, "news", 1, "weather", 2));
        assertThat(o.idOf(2)).isEqualTo("weather");
        assertThat(o.idOf(3)).isNull();
        assertThat(f.catalog.segmentAt(1).id()).isEqualTo("news");
    }

    @Test
    void a_restored_table_numbers_as_before_and_must_be_dense() {
        SegmentCatalog restored =
                SegmentCatalog.empty(SegmentOrdinals.restore(Map.of("news", 1, "sport", 0)));
        SegmentCatalog c =
                restored.put("weather", 1, Fixture.def(NEWS))
                        .catalog()
                        .put("news", 1, Fixture.def(NEWS))
                        .catalog();
        assertThat(c.ordinals().asMap()).isEqualTo(Map.of("sport", 0, "news", 1, "weather", 2));
        assertThat(c.segment("news").orElseThrow().ordinal()).isEqualTo(1);
        assertThatThrownBy(() -> SegmentOrdinals.restore(Map.of("a", 0, "b", 2)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SegmentOrdinals.restore(Map.of("a", 0, "b", 0)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a_profile_stored_under_segment_ids_keeps_its_memberships_and_their_times()
            throws Exception {
        Fixture f = new Fixture();
        f.define("news", NEWS);
        f.define("sport", SPORT);
        f.send(ev("Sport", T0), ev("News", T0 + DAY));
        Map<String, Membership> before = f.profile.memberships(f.catalog);
        assertThat(before.keySet()).containsExactly("news", "sport");

        // As a savepoint from before ordinals holds it, read by a job whose log numbers the
        // segments the other way round (the profile names them, so the numbering cannot matter).
        f.profile = ProfileCodec.fromBytes(PreviousProfileCodec.write(f.profile, f.catalog, 3));
        f.catalog = SegmentCatalog.empty(SegmentOrdinals.restore(Map.of("sport", 0, "news", 1)));
        f.catalog = f.catalog.put("news", 1, Fixture.def(NEWS)).catalog();
        f.catalog = f.catalog.put("sport", 1, Fixture.def(SPORT)).catalog();
        assertThat(f.profile.memberships(f.catalog)).isEqualTo(before);

        assertThat(f.send(ev("Sport", T0 + 2 * DAY))).isEmpty();
        assertThat(f.profile.legacyMemberships).isNull();
        Map<String, Membership> after = f.profile.memberships(f.catalog);
        assertThat(after.get("sport").enteredAt()).isEqualTo(T0);
        assertThat(after.get("news").enteredAt()).isEqualTo(T0 + DAY);
        f.checkAgreement();
        // Stored again, in the current encoding, under ordinals.
        UserProfile again = ProfileCodec.fromBytes(ProfileCodec.toBytes(f.profile));
        assertThat(again.memberships(f.catalog)).isEqualTo(after);
        assertThat(again.memberships.rows().ordinal(0)).isEqualTo(0);
    }

    @Test
    void a_stored_membership_of_a_segment_the_catalog_never_numbered_exits() throws Exception {
        Fixture f = new Fixture();
        f.define("news", NEWS);
        f.define("sport", SPORT);
        f.send(ev("Sport", T0), ev("News", T0 + DAY));
        long version = f.profile.memberships(f.catalog).get("sport").version();
        f.profile = ProfileCodec.fromBytes(PreviousProfileCodec.write(f.profile, f.catalog, 3));
        f.catalog = SegmentCatalog.empty().put("news", 1, Fixture.def(NEWS)).catalog();

        List<MembershipChange> changes = f.send(ev("News", T0 + 2 * DAY));
        assertThat(changes)
                .containsExactly(
                        new MembershipChange(
                                "sport", MembershipChange.Kind.EXITED, T0 + DAY, version));
        assertThat(f.cohorts()).containsExactly("news");
    }

    @Test
    void a_membership_costs_a_few_bytes_in_the_stored_profile() {
        Fixture f = new Fixture();
        for (int i = 0; i < 300; i++) {
            f.define("segment-with-a-long-id-" + i, SPORT);
        }
        f.send(ev("Sport", T0));
        assertThat(f.cohorts()).hasSize(300);
        int bytes = ProfileCodec.toBytes(f.profile).length;
        // Per membership: ordinal gap, version, entered (now: one byte), exited (member: one
        // byte). Under segment ids and raw times it was about 11 KB.
        assertThat(bytes).isLessThan(300 * 4 + 300);
    }

    private static final String DEEP =
            visitors(
                    "{\"func\":\"gt\",\"val\":{\"func\":\"attr\",\"name\":\"variables/depth\"},\"num\":50}");
    private static final String SPENDER =
            visitors(
                    "{\"func\":\"ge\",\"val\":{\"func\":\"attr\",\"name\":\"metrics/revenue\"},\"num\":50}");

    /** The store number of the one counter store segment {@code id} reads. */
    private static long store(SegmentCatalog c, String id) {
        List<CounterSpec> counters = c.segment(id).orElseThrow().counters();
        assertThat(counters).hasSize(1);
        return counters.get(0).store();
    }

    @Test
    void counter_stores_are_numbered_as_compiled_and_keep_their_numbers_when_unread() {
        Fixture f = new Fixture();
        f.define("deep", DEEP);
        f.define("spender", SPENDER);
        f.define("deeper", DEEP.replace("50", "70")); // the same store, another threshold
        assertThat(store(f.catalog, "deep")).isEqualTo(0);
        assertThat(store(f.catalog, "spender")).isEqualTo(1);
        assertThat(store(f.catalog, "deeper")).isEqualTo(0);
        f.remove("deep");
        f.remove("deeper");
        f.define("news", NEWS); // its count of News events: a new store
        assertThat(store(f.catalog, "news")).isEqualTo(2);
        f.define("deep", DEEP); // back again: its store's old number
        assertThat(store(f.catalog, "deep")).isEqualTo(0);
        assertThat(f.catalog.ordinals().storeHashes()).hasSize(3).doesNotHaveDuplicates();

        f.send(ev("Pageview", T0, "depth", 80, "revenue", 60));
        assertThat(f.cohorts()).containsExactlyInAnyOrder("deep", "spender");
        assertThat(f.profile.counters.key(0)).isEqualTo(0);
        assertThat(f.profile.counters.key(1)).isEqualTo(1);
    }

    @Test
    void a_restored_table_numbers_counter_stores_as_before_whatever_order_the_log_replays_in() {
        Fixture f = new Fixture();
        f.define("spender", SPENDER);
        f.define("deep", DEEP);
        f.send(ev("Pageview", T0, "depth", 80, "revenue", 30));
        SegmentOrdinals stored = f.catalog.ordinals();

        // A restore replays each segment's latest record in log order: an edit of "spender" puts
        // it after "deep". Numbered afresh, the stores would swap numbers.
        SegmentCatalog afresh =
                SegmentCatalog.empty()
                        .put("deep", 2, Fixture.def(DEEP))
                        .catalog()
                        .put("spender", 2, Fixture.def(SPENDER))
                        .catalog();
        assertThat(store(afresh, "spender")).isNotEqualTo(store(f.catalog, "spender"));
        f.catalog =
                SegmentCatalog.empty(SegmentOrdinals.restore(stored.asMap(), stored.storesAsMap()))
                        .put("deep", 2, Fixture.def(DEEP))
                        .catalog()
                        .put("spender", 2, Fixture.def(SPENDER))
                        .catalog();
        assertThat(store(f.catalog, "spender")).isEqualTo(0);
        assertThat(store(f.catalog, "deep")).isEqualTo(1);

        // The stored profile reads its counters under the same stores: 30 + 25 crosses 50.
        f.profile = ProfileCodec.fromBytes(ProfileCodec.toBytes(f.profile));
        assertThat(f.send(ev("Pageview", T0 + 1000, "revenue", 25)))
                .extracting(MembershipChange::segmentId)
                .containsExactly("spender");
        f.checkAgreement();

        assertThatThrownBy(() -> SegmentOrdinals.restore(Map.of("a", 0), Map.of(7L, 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SegmentOrdinals.restore(Map.of("a", 0), Map.of(7L, 0, 8L, 0)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
