package io.cohortflow.core.eval;

import static io.cohortflow.core.Fixture.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohortflow.core.event.Event;
import io.cohortflow.core.state.ByteArrayDataInput;
import io.cohortflow.core.state.ByteArrayDataOutput;
import io.cohortflow.core.state.Varints;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Whether an event starts its visit: counted exactly while the visits are few, filtered past that,
 * and never a visit taken for new while the history holds another of its events.
 */
class VisitCountsTest {
    private static Event ev(String session) {
        return new Event("A", T0, Map.of(), null, session);
    }

    @Test
    void events_are_counted_per_visit_and_leave_it() {
        VisitCounts c = new VisitCounts();
        assertThat(c.count("s1")).isZero();
        c.add("s1");
        assertThat(c.startsVisit("s1")).isTrue();
        c.add("s2");
        c.add("s1");
        assertThat(c.startsVisit("s1")).isFalse();
        assertThat(c.count("s1")).isEqualTo(2);
        assertThat(c.count("s2")).isEqualTo(1);
        c.remove("s1");
        c.remove("s2");
        assertThat(c.count("s1")).isEqualTo(1);
        assertThat(c.count("s2")).isZero();
        c.remove("never");
        assertThat(c.known()).as("a removal never counted: not the history's").isFalse();
        assertThat(c.kept()).isFalse();
        assertThat(c.count("s1")).isEqualTo(-1);
        assertThat(c.startsVisit("s1")).isFalse();
    }

    @Test
    void past_the_limit_the_visits_are_filtered_and_new_ones_still_told_apart() {
        VisitCounts c = new VisitCounts();
        for (int i = 0; i <= VisitCounts.MAX; i++) {
            c.add("s" + i);
            assertThat(c.startsVisit("s" + i)).as("visit %d", i).isTrue();
        }
        assertThat(c.known()).isFalse();
        assertThat(c.kept()).as("filtered, not to be counted from the history").isTrue();
        for (int i = 0; i <= VisitCounts.MAX; i++) {
            c.add("s" + i);
            assertThat(c.startsVisit("s" + i)).as("visit %d again", i).isFalse();
        }
        c.add("new");
        assertThat(c.startsVisit("new")).isTrue();
        assertThat(c.startsVisit("s1")).as("only the event just added").isFalse();
        c.remove("new");
        assertThat(c.kept()).as("stale: built again at the next history read").isFalse();
        c.add("new");
        assertThat(c.startsVisit("new")).as("a visit that left stays in the filter").isFalse();
    }

    @Test
    void a_full_filter_is_forgotten_and_built_again_for_the_history_it_is_counted_from() {
        VisitCounts c = new VisitCounts();
        List<Event> stored = new ArrayList<>();
        int i = 0;
        while (c.known() || c.kept()) {
            stored.add(ev("s" + i));
            c.add("s" + i++);
        }
        assertThat(i).as("room for half as many new visits again").isGreaterThan(48);
        assertThat(c.startsVisit("s" + (i - 1))).isFalse();
        c.recount(stored);
        assertThat(c.kept()).isTrue();
        c.add("next");
        assertThat(c.startsVisit("next")).isTrue();
        c.add("s3");
        assertThat(c.startsVisit("s3")).isFalse();
        // A history back under the limit is counted exactly again.
        c.recount(stored.subList(0, VisitCounts.MAX));
        assertThat(c.known()).isTrue();
        assertThat(c.total()).isEqualTo(VisitCounts.MAX);
    }

    @Test
    void more_visits_than_the_largest_filter_holds_are_filtered_full_and_survive_the_codec()
            throws Exception {
        List<Event> stored = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            stored.add(ev("bot-" + i));
        }
        VisitCounts c = new VisitCounts();
        c.recount(stored);
        assertThat(c.kept()).isTrue();
        VisitCounts back = read(bytes(c), ProfileCodec.VERSION);
        assertThat(bytes(back)).isEqualTo(bytes(c));
        back.add("bot-1");
        assertThat(back.startsVisit("bot-1")).isFalse();
        back.add("another");
        assertThat(back.kept()).as("full: forgotten at the first new visit").isFalse();
    }

    @Test
    void false_positives_stay_few_as_the_filter_fills() throws Exception {
        VisitCounts c = new VisitCounts();
        List<Event> stored = new ArrayList<>();
        for (int i = 0; i < 80; i++) {
            stored.add(ev("old-" + i));
        }
        c.recount(stored);
        byte[] filtered = bytes(c);
        int takenForStored = 0;
        for (int i = 0; i < 2000; i++) {
            VisitCounts copy = read(filtered, ProfileCodec.VERSION);
            copy.add("other-" + i);
            takenForStored += copy.startsVisit("other-" + i) ? 0 : 1;
        }
        assertThat(takenForStored).as("new visits taken for stored ones, of 2000").isLessThan(100);
    }

    /**
     * Random visits come and go, the history is counted again now and then, the state goes through
     * its encoding: whenever an event is said to start its visit, the history holds no other event
     * of it, and while counted, every count is the history's.
     */
    @Test
    void an_event_said_to_start_its_visit_is_its_visits_only_stored_one() throws Exception {
        Random r = new Random(7);
        int claimed = 0;
        for (int run = 0; run < 20; run++) {
            VisitCounts c = new VisitCounts();
            List<Event> stored = new ArrayList<>();
            Map<String, Integer> reference = new HashMap<>();
            int visits = 10 + r.nextInt(200);
            for (int step = 0; step < 600; step++) {
                int op = r.nextInt(10);
                if (op < 6 || stored.isEmpty()) {
                    String key = "v" + r.nextInt(visits);
                    stored.add(ev(key));
                    reference.merge(key, 1, Integer::sum);
                    c.add(key);
                    if (c.startsVisit(key)) {
                        claimed++;
                        assertThat(reference.get(key)).as("run %d step %d", run, step).isOne();
                    }
                } else if (op < 9) {
                    String key = stored.remove(0).sessionId();
                    reference.merge(key, -1, Integer::sum);
                    c.remove(key);
                } else if (!c.kept() || r.nextBoolean()) {
                    c.recount(stored);
                } else {
                    c = read(bytes(c), ProfileCodec.VERSION);
                }
                if (c.known()) {
                    for (var e : reference.entrySet()) {
                        assertThat(c.count(e.getKey())).isGreaterThanOrEqualTo(e.getValue());
                    }
                    assertThat(c.total()).isEqualTo(stored.size());
                }
            }
        }
        assertThat(claimed).as("visits told new without the history").isGreaterThan(2000);
    }

    @Test
    void counts_and_filters_survive_their_encoding_and_damage_is_an_error() throws Exception {
        VisitCounts c = new VisitCounts();
        for (int i = 0; i < 20; i++) {
            c.add("visit-" + i % 7);
        }
        VisitCounts back = read(bytes(c), ProfileCodec.VERSION);
        for (int i = 0; i < 7; i++) {
            assertThat(back.count("visit-" + i)).isEqualTo(c.count("visit-" + i));
        }
        for (int i = 0; i < 50; i++) {
            c.add("more-" + i);
        }
        assertThat(c.kept()).isTrue();
        back = read(bytes(c), ProfileCodec.VERSION);
        assertThat(bytes(back)).isEqualTo(bytes(c));
        back.add("more-3");
        assertThat(back.startsVisit("more-3")).isFalse();
        c.forget();
        assertThat(read(bytes(c), ProfileCodec.VERSION).kept()).isFalse();
        ByteArrayDataOutput tooMany = new ByteArrayDataOutput();
        Varints.writeInt(tooMany, VisitCounts.MAX + 5);
        assertThatThrownBy(() -> read(tooMany.toByteArray(), ProfileCodec.VERSION))
                .hasMessageContaining("as a count of visits");
        assertThatThrownBy(() -> read(new byte[] {2, 5, 0}, ProfileCodec.VERSION))
                .as("a visit counted 0 times")
                .hasMessageContaining("a visit hash");
        assertThatThrownBy(() -> read(new byte[] {VisitCounts.MAX + 2, 0, 0}, ProfileCodec.VERSION))
                .hasMessageContaining("a visit filter of 0 words");
        // Version 15 marked too many visits by how many: read as not known, filtered when counted.
        ByteArrayDataOutput excess = new ByteArrayDataOutput();
        Varints.writeInt(excess, VisitCounts.MAX + 1 + 40);
        VisitCounts old = read(excess.toByteArray(), ProfileCodec.UNFILTERED);
        assertThat(old.kept()).isFalse();
    }

    private static byte[] bytes(VisitCounts c) throws Exception {
        ByteArrayDataOutput out = new ByteArrayDataOutput();
        c.write(out);
        return out.toByteArray();
    }

    private static VisitCounts read(byte[] b, int version) throws Exception {
        VisitCounts c = new VisitCounts();
        c.read(new ByteArrayDataInput(b), version);
        return c;
    }
}
