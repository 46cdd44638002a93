package io.cohortflow.core.eval;

import static io.cohortflow.core.Fixture.DAY;
import static io.cohortflow.core.Fixture.T0;
import static io.cohortflow.core.Fixture.ev;
import static io.cohortflow.core.Fixture.visitors;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohortflow.core.Fixture;
import io.cohortflow.core.event.Event;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The profile's encoding keeps every field, the "none" instants included. */
class ProfileCodecTest {
    @Test
    void a_damaged_counter_of_an_earlier_format_fails_the_read_without_allocating_for_it()
            throws java.io.IOException {
        for (int entries : new int[] {(1 << 20) + 1, 1 << 30, Integer.MAX_VALUE}) {
            java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
            java.io.DataOutputStream out = new java.io.DataOutputStream(b);
            io.cohortflow.core.state.Varints.writeInt(out, entries);
            out.writeByte(0); // flags
            java.io.DataInputStream in =
                    new java.io.DataInputStream(new java.io.ByteArrayInputStream(b.toByteArray()));
            assertThatThrownBy(() -> PreviousProfileFormats.counter(in, false, T0, true))
                    .as("%d entries", entries)
                    .isInstanceOf(java.io.IOException.class)
                    .hasMessage("a counter of " + entries + " entries");
        }
    }

    @Test
    void a_profile_of_a_later_encoding_is_not_taken_for_damage() {
        byte[] bytes = ProfileCodec.toBytes(new UserProfile());
        bytes[0] = (byte) (ProfileCodec.VERSION + 1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ProfileCodec.fromBytes(bytes))
                .hasRootCauseInstanceOf(io.cohortflow.core.state.NewerEncodingException.class);
        bytes[0] = (byte) 0xEE;
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ProfileCodec.fromBytes(bytes))
                .satisfies(
                        e ->
                                assertThat(e)
                                        .hasRootCauseInstanceOf(java.io.IOException.class)
                                        .rootCause()
                                        .isNotInstanceOf(
                                                io.cohortflow.core.state.NewerEncodingException
                                                        .class));
    }

    @Test
    void a_profile_without_events_keeps_its_none_instants() {
        UserProfile p = ProfileCodec.fromBytes(ProfileCodec.toBytes(new UserProfile()));
        assertThat(p.now).isEqualTo(Long.MIN_VALUE);
        assertThat(p.floor).isEqualTo(Long.MIN_VALUE);
        assertThat(p.nextExpiry).isEqualTo(Long.MAX_VALUE);
        assertThat(p.historyOldest).isEqualTo(Long.MAX_VALUE);
        assertThat(p.scheduledWakeUp).isEqualTo(Long.MAX_VALUE);
        assertThat(p.isEmpty()).isTrue();
    }

    @Test
    void instants_before_and_after_the_users_now_survive_the_round_trip() {
        Fixture f = new Fixture();
        f.define(
                "week",
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                        + "\"context\":\"hits\",\"window\":{\"count\":7,\"unit\":\"day\"},"
                        + "\"pred\":{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/A\"}}}}");
        f.define(
                "ever",
                visitors(
                        "{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/B\"}}"));
        f.send(ev("B", T0), ev("A", T0 + 3 * DAY), ev("A", T0 + 5 * DAY));
        f.profile.floor = T0 - 1;
        f.profile.scheduledWakeUp(f.profile.nextExpiry());
        UserProfile p = ProfileCodec.fromBytes(ProfileCodec.toBytes(f.profile));
        assertThat(p.now).isEqualTo(T0 + 5 * DAY);
        assertThat(p.floor).isEqualTo(T0 - 1);
        assertThat(p.nextExpiry).isEqualTo(f.profile.nextExpiry).isGreaterThan(p.now);
        assertThat(p.scheduledWakeUp()).isEqualTo(f.profile.nextExpiry);
        assertThat(p.historyOldest).isEqualTo(T0);
        assertThat(p.lastEventTime).isEqualTo(T0 + 5 * DAY);
        assertThat(p.counters.size()).isEqualTo(f.profile.counters.size());
        for (int k = 0; k < p.counters.size(); k++) {
            assertThat(p.counters.key(k)).isEqualTo(f.profile.counters.key(k));
            CounterState s = p.counters.value(k);
            CounterState was = f.profile.counters.value(k);
            assertThat(s.size()).isEqualTo(was.size());
            for (int i = 0; i < s.size(); i++) {
                assertThat(s.time(i)).isEqualTo(was.time(i));
            }
        }
        assertThat(p.memberships(f.catalog)).isEqualTo(f.profile.memberships(f.catalog));
    }

    @Test
    void counter_values_survive_the_round_trip_to_the_bit_and_whole_ones_take_fewer_bytes() {
        double[][] cases = {
            {25, 40, 0, -3, 1L << 53, -(1L << 53)}, // whole: varints
            {25, 40.5}, // one fraction: every value a double
            {1, -0.0}, // -0 is not 0 to the bit
            {1, Double.NaN, Double.POSITIVE_INFINITY},
            {(1L << 53) + 2.0, 1}, // past 2^53
            {1, 1, 1}, // the default value: none written
        };
        for (double[] values : cases) {
            int n = values.length;
            long[] times = new long[n];
            for (int i = 0; i < n; i++) {
                times[i] = T0 + i * 1000L;
            }
            UserProfile p = new UserProfile();
            p.now = T0 + DAY;
            p.counters.put(42L, CounterStateTest.of(times, values.clone(), new String[n], n));
            // A distinct count: keys, their values 0 (not written).
            p.counters.put(
                    43L,
                    CounterStateTest.of(
                            times.clone(),
                            new double[n],
                            java.util.Collections.nCopies(n, "c").toArray(new String[0]),
                            n));
            UserProfile back = ProfileCodec.fromBytes(ProfileCodec.toBytes(p));
            for (long id : new long[] {42L, 43L}) {
                CounterState was = p.counters.get(id);
                CounterState s = back.counters.get(id);
                assertThat(s.size()).isEqualTo(n);
                for (int i = 0; i < n; i++) {
                    assertThat(Double.doubleToRawLongBits(s.value(i)))
                            .as("%s value %d", java.util.Arrays.toString(values), i)
                            .isEqualTo(Double.doubleToRawLongBits(was.value(i)));
                    assertThat(s.time(i)).isEqualTo(was.time(i));
                    assertThat(s.key(i)).isEqualTo(was.key(i));
                }
            }
        }
        UserProfile whole = new UserProfile();
        whole.now = T0;
        whole.counters.put(
                7L,
                CounterStateTest.of(
                        new long[] {T0, T0 + 1}, new double[] {25, 140}, new String[2], 2));
        UserProfile fraction = new UserProfile();
        fraction.now = T0;
        fraction.counters.put(
                7L,
                CounterStateTest.of(
                        new long[] {T0, T0 + 1}, new double[] {25, 140.5}, new String[2], 2));
        assertThat(ProfileCodec.toBytes(whole).length)
                .isLessThanOrEqualTo(ProfileCodec.toBytes(fraction).length - 2 * 8 + 3);
    }

    @Test
    void a_profiles_sizes_say_what_each_part_costs() {
        Fixture f = manyMemberships();
        f.profile.rechecks.set(f.profile.rechecks.upsert(3), 0, T0 + 20 * DAY);
        ProfileSizes s = ProfileSizes.of(f.profile);
        assertThat(s.total()).isEqualTo(ProfileCodec.toBytes(f.profile).length);
        // Store numbers as gaps: a byte each among a few hundred stores, where a hash took 8.
        assertThat(s.counterIds()).isEqualTo(f.profile.counters.size()).isPositive();
        assertThat(s.counters()).isGreaterThan(s.counterIds());
        assertThat(s.memberships()).isGreaterThan(41); // 41 rows: a bitmap and an index each
        assertThat(s.rechecks()).isPositive();
        assertThat(s.eventNames()).isPositive();
        assertThat(s.counters() + s.memberships() + s.rechecks() + s.eventNames())
                .isLessThan(s.total());
        assertThat(ProfileSizes.average(List.of(f.profile, f.profile))).isEqualTo(s);
    }

    @Test
    void event_names_are_held_sorted_and_written_after_the_prefix_they_share() {
        UserProfile p = new UserProfile();
        p.now = T0;
        String[] names = {
            "page.view",
            "page.scroll",
            "cart.add",
            "page.view",
            "cart.remove",
            "a",
            "",
            "😀x",
            "😀y",
            "😁z", // shares half of a surrogate pair with "😀y": written whole
            "page",
            "Ünïcode",
            "Ünï"
        };
        long t = T0;
        for (String n : names) {
            p.names.add(n, n.startsWith("p"), t -= 1000);
        }
        p.names.newest(1, NameCounts.UNKNOWN); // of a profile stored before they were kept
        p.names.newest(2, Long.MIN_VALUE); // none visible
        p.visits.marked = "s-😀";
        List<String> held = new java.util.ArrayList<>();
        for (int i = 0; i < p.names.size(); i++) {
            held.add(p.names.name(i));
        }
        assertThat(held).isSorted().doesNotHaveDuplicates().hasSize(names.length - 1);
        UserProfile back = ProfileCodec.fromBytes(ProfileCodec.toBytes(p));
        for (int i = 0; i < p.names.size(); i++) {
            assertThat(back.names.name(i)).isEqualTo(p.names.name(i));
            assertThat(back.names.count(i)).isEqualTo(p.names.count(i));
            assertThat(back.names.marked(i)).isEqualTo(p.names.marked(i));
            assertThat(back.names.newest(i)).isEqualTo(p.names.newest(i));
        }
        assertThat(back.visits.marked).isEqualTo(p.visits.marked);
        assertThat(back.names.size()).isEqualTo(p.names.size());
        // Removing keeps the order; a name whose events are all gone is forgotten.
        p.names.remove("cart.add");
        p.names.remove("page.view");
        assertThat(p.names.contains("cart.add")).isFalse();
        assertThat(p.names.contains("page.view")).isTrue();
        held.clear();
        for (int i = 0; i < p.names.size(); i++) {
            held.add(p.names.name(i));
        }
        assertThat(held).isSorted().hasSize(names.length - 2);
        // The shared prefixes pay: "page.scroll" after "page" costs ".scroll".
        p.visits.marked = null; // its key aside
        assertThat(ProfileSizes.of(p).eventNames())
                .isLessThan(
                        held.stream()
                                .mapToInt(
                                        n ->
                                                n.getBytes(java.nio.charset.StandardCharsets.UTF_8)
                                                                .length
                                                        + 2)
                                .sum());
    }

    /** Many memberships entered by a few events, some exited, one at another version. */
    private static Fixture manyMemberships() {
        Fixture f = new Fixture();
        for (int i = 0; i < 40; i++) {
            f.define(
                    "s" + i,
                    visitors(
                            "{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/"
                                    + (char) ('A' + i % 4)
                                    + "\"}}"));
        }
        f.define(
                "week",
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                        + "\"context\":\"hits\",\"window\":{\"count\":7,\"unit\":\"day\"},"
                        + "\"pred\":{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/E\"}}}}");
        f.send(ev("A", T0), ev("B", T0 + DAY), ev("E", T0 + DAY), ev("C", T0 + 2 * DAY));
        f.advanceTo(T0 + 9 * DAY); // "week" exits
        f.send(ev("D", T0 + 9 * DAY + 1));
        return f;
    }

    @Test
    void memberships_by_column_survive_the_round_trip_in_a_fraction_of_the_bytes()
            throws Exception {
        Fixture f = manyMemberships();
        UserProfile p = ProfileCodec.fromBytes(ProfileCodec.toBytes(f.profile));
        assertThat(p.memberships(f.catalog)).isEqualTo(f.profile.memberships(f.catalog));
        assertThat(p.memberships(f.catalog).get("week").member()).isFalse();
        assertThat(p.memberships.rows().size()).isEqualTo(41);
        int columns = ProfileCodec.toBytes(f.profile).length;
        int rows = PreviousProfileCodec.writeRowByRow(f.profile).length;
        assertThat(columns).isLessThan(rows - 41 * 3);
    }

    @Test
    void a_profile_written_row_by_row_is_still_read() throws Exception {
        Fixture f = manyMemberships();
        UserProfile p = ProfileCodec.fromBytes(PreviousProfileCodec.writeRowByRow(f.profile));
        assertThat(p.memberships(f.catalog)).isEqualTo(f.profile.memberships(f.catalog));
        assertThat(p.rechecks.size()).isEqualTo(f.profile.rechecks.size());
        assertThat(p.definitionsEpoch).isEqualTo(f.profile.definitionsEpoch);
    }

    @Test
    void a_profile_written_in_version_7_is_still_read() throws Exception {
        Fixture f = manyMemberships();
        UserProfile p = ProfileCodec.fromBytes(PreviousProfileCodec.writeColumns(f.profile));
        assertThat(p.memberships(f.catalog)).isEqualTo(f.profile.memberships(f.catalog));
        assertThat(p.rechecks.size()).isEqualTo(f.profile.rechecks.size());
        assertThat(p.definitionsEpoch).isEqualTo(f.profile.definitionsEpoch);
    }

    /** A chunked history of one sealed chunk and three events in the profile's open chunk. */
    private static Fixture chunkedPastOneChunk() {
        Fixture f = new Fixture();
        f.chunked = true;
        f.define(
                "ever",
                visitors(
                        "{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/B\"}}"));
        for (int i = 0; i < ProfileHistory.MAX_EVENTS + 3; i++) {
            f.send(ev(i % 2 == 0 ? "A" : "B", T0 + i * DAY / 10, "n", i, "s", "x" + i));
        }
        return f;
    }

    @Test
    void a_chunked_history_survives_the_round_trip() {
        Fixture f = chunkedPastOneChunk();
        f.send(ev("C", T0 + DAY / 20)); // late
        f.advanceTo(T0 + 91 * DAY); // the horizon removes some (90 days): all gone
        f.send(ev("A", T0 + 91 * DAY + 1));
        assertThat(f.profile.historyChunked()).isTrue();
        UserProfile p = ProfileCodec.fromBytes(ProfileCodec.toBytes(f.profile));
        assertThat(p.inlineHistory.events()).isEqualTo(f.profile.inlineHistory.events());
        assertThat(p.historyChunks()).isEqualTo(f.profile.historyChunks());
        assertThat(java.util.Arrays.copyOf(p.chunkIds, p.chunks))
                .isEqualTo(java.util.Arrays.copyOf(f.profile.chunkIds, f.profile.chunks));
        assertThat(p.historyRemovedUpTo).isEqualTo(f.profile.historyRemovedUpTo);
        assertThat(ProfileHistory.of(p, f.history, f.chunks).events()).isEqualTo(f.h().events());
        assertThat(p.memberships(f.catalog)).isEqualTo(f.profile.memberships(f.catalog));

        // And one with sealed chunks and events removed from one of them.
        Fixture g =
                new Fixture(
                        new EngineConfig(
                                // Events a quarter of a day apart: the cut-off at the end falls
                                // half-way through the second chunk.
                                java.time.Duration.ofHours(
                                        9L * ProfileHistory.MAX_SEALED_EVENTS + 12),
                                1_000,
                                java.time.Duration.ofMinutes(5)));
        g.chunked = true;
        g.define(
                "ever",
                visitors(
                        "{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/B\"}}"));
        for (int i = 0; i < 3 * ProfileHistory.MAX_SEALED_EVENTS + 3; i++) {
            g.send(ev(i % 2 == 0 ? "A" : "B", T0 + i * DAY / 4));
        }
        // The first chunk deleted, the second one partly removed, the third whole.
        assertThat(g.profile.historyChunks()).isEqualTo(2);
        assertThat(g.chunks.deletes).isEqualTo(1);
        assertThat(g.profile.historyRemovedUpTo)
                .isGreaterThan(g.chunks.read(g.profile.chunkIds[0]).get(0).time())
                .isLessThan(g.profile.chunkOldest[0]);
        UserProfile q = ProfileCodec.fromBytes(ProfileCodec.toBytes(g.profile));
        assertThat(java.util.Arrays.copyOf(q.chunkOldest, q.chunks))
                .isEqualTo(java.util.Arrays.copyOf(g.profile.chunkOldest, g.profile.chunks));
        assertThat(q.historyRemovedUpTo).isEqualTo(g.profile.historyRemovedUpTo);
        assertThat(ProfileHistory.of(q, g.history, g.chunks).events()).isEqualTo(g.h().events());
    }

    @Test
    void a_profile_written_in_version_11_is_still_read_with_its_open_chunk() throws Exception {
        Fixture f = chunkedPastOneChunk();
        assertThat(f.profile.historyChunks()).isEqualTo(1);
        assertThat(f.profile.historyInProfile()).isEqualTo(3);
        byte[] v11 = PreviousProfileCodec.writeVersion11(f.profile);
        assertThat(v11[0]).isEqualTo((byte) 11);
        UserProfile p = ProfileCodec.fromBytes(v11);
        assertThat(p.inlineHistory.events()).isEqualTo(f.profile.inlineHistory.events());
        assertThat(ProfileHistory.of(p, f.history, f.chunks).events()).isEqualTo(f.h().events());
        forgetNewest(f.profile);
        assertThat(ProfileCodec.toBytes(p)).isEqualTo(ProfileCodec.toBytes(f.profile));
    }

    @Test
    void a_profile_written_in_version_12_is_read_with_no_visit_marked() throws Exception {
        Fixture f = chunkedPastOneChunk();
        f.profile.visits.marked = "x3";
        f.profile.names.mark("B");
        byte[] v12 = PreviousProfileCodec.writeVersion12(f.profile);
        assertThat(v12[0]).isEqualTo((byte) 12);
        UserProfile p = ProfileCodec.fromBytes(v12);
        // the gates read the visit's names once, and mark them
        assertThat(p.visits.marked).isNull();
        assertThat(p.names.marked(0) || p.names.marked(1)).isFalse();
        assertThat(ProfileHistory.of(p, f.history, f.chunks).events()).isEqualTo(f.h().events());
        f.profile.visits.marked = null;
        f.profile.names.clearMarks();
        forgetNewest(f.profile);
        assertThat(ProfileCodec.toBytes(p)).isEqualTo(ProfileCodec.toBytes(f.profile));
    }

    @Test
    void a_visits_run_and_counts_survive_the_round_trip_and_version_13_is_read_without_them()
            throws Exception {
        Fixture f = chunkedPastOneChunk();
        f.profile.visits.marked = "x3";
        f.profile.visits.run = 2;
        assertThat(f.profile.visits.counts.known()).isTrue();
        UserProfile back = ProfileCodec.fromBytes(ProfileCodec.toBytes(f.profile));
        assertThat(back.visits.marked).isEqualTo("x3");
        assertThat(back.visits.run).isEqualTo(2);
        assertThat(back.visits.counts.total()).isEqualTo(f.profile.historySize()).isPositive();
        assertThat(ProfileCodec.toBytes(back)).isEqualTo(ProfileCodec.toBytes(f.profile));
        // Counts that are not the history's (damaged bytes) are not taken: counted again.
        f.profile.visits.counts.add("x3");
        assertThat(ProfileCodec.fromBytes(ProfileCodec.toBytes(f.profile)).visits.counts.known())
                .isFalse();
        f.profile.visits.counts.remove("x3");
        byte[] v13 = PreviousProfileCodec.writeVersion13(f.profile);
        assertThat(v13[0]).isEqualTo((byte) 13);
        UserProfile old = ProfileCodec.fromBytes(v13);
        assertThat(old.visits.marked).isEqualTo("x3");
        assertThat(old.visits.run).as("learnt when its next visit is marked").isEqualTo(-1);
        assertThat(old.visits.counts.known()).as("counted at its next history read").isFalse();
        f.profile.visits.run = -1;
        f.profile.visits.counts.forget();
        assertThat(ProfileCodec.toBytes(old)).isEqualTo(ProfileCodec.toBytes(f.profile));
        // Version 13 wrote no run: one in its bytes is damage, not a run.
        byte[] damaged = PreviousProfileCodec.writeVersion13(f.profile);
        f.profile.visits.marked = null;
        int flag = indexOfDifference(damaged, PreviousProfileCodec.writeVersion13(f.profile));
        assertThat(damaged[flag]).isEqualTo((byte) 1);
        damaged[flag] = 2;
        assertThatThrownBy(() -> ProfileCodec.fromBytes(damaged))
                .hasMessageContaining("a visit flag of 2");
    }

    @Test
    void a_history_of_too_many_visits_to_count_is_filtered_and_versions_14_and_15_read_without_it()
            throws Exception {
        Fixture f = chunkedPastOneChunk();
        List<Event> stored = f.h().events();
        for (int i = 0; i <= VisitCounts.MAX; i++) {
            f.profile.visits.counts.add("many-" + i);
        }
        assertThat(f.profile.visits.counts.kept()).isTrue();
        byte[] bytes = ProfileCodec.toBytes(f.profile);
        UserProfile back = ProfileCodec.fromBytes(bytes);
        assertThat(ProfileCodec.toBytes(back)).isEqualTo(bytes);
        // The filter tells a new visit from one it holds, with no history read.
        back.visits.counts.add("many-3");
        assertThat(back.visits.counts.startsVisit("many-3")).isFalse();
        back.visits.counts.add("another");
        assertThat(back.visits.counts.startsVisit("another")).isTrue();
        // Version 14 knew neither a filter nor a mark: the same bytes under its number are damaged.
        byte[] damaged = bytes.clone();
        damaged[0] = ProfileCodec.UNMARKED_OVERFLOW;
        assertThatThrownBy(() -> ProfileCodec.fromBytes(damaged))
                .hasMessageContaining("as a count of visits");
        // Their profiles otherwise read as before: counted at the next read of the history.
        f.profile.visits.counts.forget();
        for (int version : new int[] {ProfileCodec.UNFILTERED, ProfileCodec.UNMARKED_OVERFLOW}) {
            byte[] previous = ProfileCodec.toBytes(f.profile);
            previous[0] = (byte) version;
            UserProfile old = ProfileCodec.fromBytes(previous);
            assertThat(ProfileCodec.toBytes(old)).isEqualTo(ProfileCodec.toBytes(f.profile));
            old.visits.counts.recount(stored);
            assertThat(old.visits.counts.known()).isTrue();
        }
    }

    private static int indexOfDifference(byte[] a, byte[] b) {
        int i = 0;
        while (a[i] == b[i]) {
            i++;
        }
        return i;
    }

    /**
     * What a profile of a version before 13 is read without: its names' newest times (and, as every
     * version before 14, the counts of its visits).
     */
    private static void forgetNewest(UserProfile p) {
        p.visits.counts.forget();
        for (int i = 0; i < p.names.size(); i++) {
            p.names.newest(i, NameCounts.UNKNOWN);
        }
    }

    @Test
    void a_profile_written_in_version_9_is_still_read() throws Exception {
        Fixture f = manyMemberships();
        for (int ordinal = 0; ordinal < 40; ordinal += 3) {
            f.profile.rechecks.set(f.profile.rechecks.upsert(ordinal), 0, T0 + ordinal % 4 * DAY);
        }
        UserProfile p = ProfileCodec.fromBytes(PreviousProfileCodec.writeVersion9(f.profile));
        assertThat(p.memberships(f.catalog)).isEqualTo(f.profile.memberships(f.catalog));
        assertThat(rechecks(p)).isEqualTo(rechecks(f.profile));
        assertThat(p.definitionsEpoch).isEqualTo(f.profile.definitionsEpoch);
        // Its counters were keyed by hash: dropped, to be rebuilt from the history (see
        // EngineUpgradeTest); the rest reads as written.
        assertThat(f.profile.counters.isEmpty()).isFalse();
        assertThat(p.counters.isEmpty()).isTrue();
        assertThat(p.countersVersion).isEqualTo(UserProfile.HASHED_COUNTERS);
        UserProfile expected = ProfileCodec.fromBytes(ProfileCodec.toBytes(f.profile));
        ProfileCodec.dropHashedCounters(expected);
        forgetNewest(expected);
        assertThat(ProfileCodec.toBytes(p)).isEqualTo(ProfileCodec.toBytes(expected));
    }

    /** A profile's rechecks, ordinal to instant. */
    private static java.util.Map<Integer, Long> rechecks(UserProfile p) {
        java.util.Map<Integer, Long> out = new java.util.TreeMap<>();
        for (int row = 0; row < p.rechecks.size(); row++) {
            out.put(p.rechecks.ordinal(row), p.rechecks.get(row, 0));
        }
        return out;
    }

    @Test
    void rechecks_dense_or_sparse_survive_the_round_trip_in_fewer_bytes_than_row_by_row()
            throws Exception {
        java.util.Random r = new java.util.Random(11);
        for (int trial = 0; trial < 400; trial++) {
            int n = r.nextInt(300);
            int range = Math.max(1, n * (1 + r.nextInt(trial % 4 == 0 ? 200 : 3)));
            UserProfile p = new UserProfile();
            p.now = T0 + r.nextInt(1_000_000);
            // Window ends: a few shared by many rows (segments reading the same events), or up
            // to one per row; ahead of now, or behind it (a recheck not yet taken).
            long[] instants =
                    trial % 3 == 0
                            ? new long[] {
                                p.now - DAY / 24, p.now + DAY, p.now + 7 * DAY, p.now + 30 * DAY
                            }
                            : r.longs(1 + r.nextInt(n + 1), p.now - DAY, p.now + 400 * DAY)
                                    .toArray();
            for (int i = 0; i < n; i++) {
                p.rechecks.set(
                        p.rechecks.upsert(r.nextInt(range)),
                        0,
                        instants[r.nextInt(instants.length)]);
            }
            UserProfile back = ProfileCodec.fromBytes(ProfileCodec.toBytes(p));
            assertThat(rechecks(back)).as("trial %d", trial).isEqualTo(rechecks(p));
            int now = ProfileCodec.toBytes(p).length;
            int before = PreviousProfileCodec.writeVersion9(p).length;
            // One byte more for the header's flags, one for the visits' counts (none).
            assertThat(now).as("trial %d", trial).isLessThanOrEqualTo(before + 2);
            if (trial % 3 == 0 && p.rechecks.size() > 20) {
                // Four instants: an index is two bits, where a distance took three bytes or more.
                assertThat(now).as("trial %d", trial).isLessThan(before - 2 * p.rechecks.size());
            }
        }
    }

    @Test
    void a_profile_written_in_version_8_is_still_read_with_its_history_in_the_store()
            throws Exception {
        Fixture f = manyMemberships();
        byte[] current = PreviousProfileCodec.writeVersion9(f.profile);
        // Version 8 is version 9 without the inline history's count (0: none) at the end.
        assertThat(current[current.length - 1]).isZero();
        byte[] v8 = java.util.Arrays.copyOf(current, current.length - 1);
        v8[0] = 8;
        UserProfile p = ProfileCodec.fromBytes(v8);
        assertThat(p.historyChunked()).isFalse();
        assertThat(p.historySize()).isEqualTo(f.profile.historySize()).isPositive();
        assertThat(p.memberships(f.catalog)).isEqualTo(f.profile.memberships(f.catalog));
        assertThat(p.definitionsEpoch).isEqualTo(f.profile.definitionsEpoch);
    }

    @Test
    void memberships_dense_or_sparse_with_runs_of_versions_survive_the_round_trip()
            throws Exception {
        java.util.Random r = new java.util.Random(7);
        for (int trial = 0; trial < 400; trial++) {
            int n = r.nextInt(600);
            int range = Math.max(1, n * (1 + r.nextInt(trial % 4 == 0 ? 200 : 3)));
            UserProfile p = new UserProfile();
            p.now = T0 + r.nextInt(1_000_000);
            // A few instants, as events enter many segments at once, or up to one per row (the
            // writer's table of instants grows past its first size, and is reused trial to trial).
            long[] instants =
                    trial % 3 == 0
                            ? new long[] {p.now, p.now - DAY, p.now - 3 * DAY, T0 - 7 * DAY}
                            : r.longs(1 + r.nextInt(n + 1), T0 - 30 * DAY, p.now + 1).toArray();
            java.util.BitSet taken = new java.util.BitSet();
            for (int i = 0; i < n; i++) {
                int ordinal = r.nextInt(range);
                if (taken.get(ordinal)) {
                    continue;
                }
                taken.set(ordinal);
                long version = r.nextInt(10) < 8 ? 1 : 1 + r.nextInt(5);
                long entered = instants[r.nextInt(instants.length)];
                long exited = r.nextBoolean() ? Long.MIN_VALUE : entered + r.nextInt(1000);
                p.memberships.put(ordinal, version, entered, exited);
            }
            UserProfile back = ProfileCodec.fromBytes(ProfileCodec.toBytes(p));
            assertThat(back.memberships.rows().size()).isEqualTo(p.memberships.rows().size());
            for (int row = 0; row < p.memberships.rows().size(); row++) {
                assertThat(back.memberships.rows().ordinal(row))
                        .isEqualTo(p.memberships.rows().ordinal(row));
                for (int c = 0; c < MembershipRows.COLUMNS; c++) {
                    assertThat(back.memberships.rows().get(row, c))
                            .as("trial %d row %d column %d", trial, row, c)
                            .isEqualTo(p.memberships.rows().get(row, c));
                }
                assertThat(back.memberships.exitedAt(row))
                        .as("trial %d row %d exit", trial, row)
                        .isEqualTo(p.memberships.exitedAt(row));
                assertThat(back.memberships.isMember(p.memberships.rows().ordinal(row)))
                        .isEqualTo(p.memberships.member(row));
            }
            // Never longer than version 7 but for the header's two flags, and a bitmap pays where
            // ordinals are dense.
            int now = ProfileCodec.toBytes(p).length;
            int before = PreviousProfileCodec.writeColumns(p).length;
            // One byte more for the header's flags, one for the visits' counts (none).
            assertThat(now).as("trial %d", trial).isLessThanOrEqualTo(before + 2);
            if (p.memberships.rows().size() > 100 && range <= 2 * n) {
                assertThat(now)
                        .as("trial %d", trial)
                        .isLessThan(before - p.memberships.rows().size() / 2);
            }
            // Rows entered after a read land where they belong (in the room the reader left).
            for (int i = 0; i < 1 + r.nextInt(20); i++) {
                int ordinal = range + r.nextInt(range + 40);
                if (!back.memberships.isMember(ordinal) && !p.memberships.isMember(ordinal)) {
                    back.memberships.enter(ordinal, 3, p.now);
                    p.memberships.enter(ordinal, 3, p.now);
                }
            }
            assertThat(back.memberships.memberOrdinals()).isEqualTo(p.memberships.memberOrdinals());
            assertThat(ProfileCodec.toBytes(back)).isEqualTo(ProfileCodec.toBytes(p));
        }
    }
}
