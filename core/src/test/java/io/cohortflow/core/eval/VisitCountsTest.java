package io.cohortflow.core.eval;

import static io.cohortflow.core.Fixture.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohortflow.core.event.Event;
import io.cohortflow.core.state.ByteArrayDataInput;
import io.cohortflow.core.state.ByteArrayDataOutput;
import io.cohortflow.core.state.Varints;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The stored events per visit: counted while few, forgotten past the limit, counted again. */
class VisitCountsTest {
    private static Event ev(String session) {
        return new Event("A", T0, Map.of(), null, session);
    }

    @Test
    void events_are_counted_per_visit_and_leave_it() {
        VisitCounts c = new VisitCounts();
        assertThat(c.count("s1")).isZero();
        c.add("s1");
        c.add("s2");
        c.add("s1");
        assertThat(c.count("s1")).isEqualTo(2);
        assertThat(c.count("s2")).isEqualTo(1);
        c.remove("s1");
        c.remove("s2");
        assertThat(c.count("s1")).isEqualTo(1);
        assertThat(c.count("s2")).isZero();
        c.remove("never");
        assertThat(c.known()).as("a removal never counted: not the history's").isFalse();
        assertThat(c.count("s1")).isEqualTo(-1);
    }

    @Test
    void past_the_limit_nothing_is_known_until_the_history_is_counted_again() {
        VisitCounts c = new VisitCounts();
        List<Event> stored = new ArrayList<>();
        for (int i = 0; i <= VisitCounts.MAX; i++) {
            c.add("s" + i);
            stored.add(ev("s" + i));
        }
        assertThat(c.known()).isFalse();
        c.add("s0");
        assertThat(c.count("s0")).isEqualTo(-1);
        c.forget(); // counted again from nothing, as a profile read back without counts is
        c.recount(stored);
        assertThat(c.known()).as("still too many").isFalse();
        c.recount(List.of(ev("s1")));
        assertThat(c.known())
                .as("no event left since the history held too many: not counted again")
                .isFalse();
        c.remove(stored.remove(0).sessionId());
        c.remove(stored.remove(0).sessionId());
        stored.add(ev("s5"));
        c.recount(stored);
        assertThat(c.known()).isTrue();
        assertThat(c.count("s5")).isEqualTo(2);
        assertThat(c.count("s0")).isZero();
    }

    @Test
    void a_history_of_too_many_visits_is_counted_again_once_enough_events_have_left()
            throws Exception {
        VisitCounts c = new VisitCounts();
        List<Event> stored = new ArrayList<>();
        for (int i = 0; i < VisitCounts.MAX + 8; i++) {
            stored.add(ev("s" + i));
        }
        c.forget();
        c.recount(stored);
        assertThat(c.known()).isFalse();
        // Eight visits too many: each event leaving takes one at the most, so seven are not enough.
        for (int i = 0; i < 7; i++) {
            c.remove(stored.remove(0).sessionId());
            c.recount(stored);
            assertThat(c.known()).as("after %d left", i + 1).isFalse();
        }
        VisitCounts back = roundTrip(c);
        c.remove(stored.remove(0).sessionId());
        c.recount(stored);
        assertThat(c.known()).isTrue();
        assertThat(c.total()).isEqualTo(stored.size());
        // The excess survives the profile's encoding: the copy needs its eighth too.
        back.recount(stored);
        assertThat(back.known()).isFalse();
        back.remove("s7");
        back.recount(stored);
        assertThat(back.known()).isTrue();
    }

    @Test
    void counts_survive_their_encoding_and_damage_is_an_error() throws Exception {
        VisitCounts c = new VisitCounts();
        for (int i = 0; i < 20; i++) {
            c.add("visit-" + i % 7);
        }
        VisitCounts back = roundTrip(c);
        for (int i = 0; i < 7; i++) {
            assertThat(back.count("visit-" + i)).isEqualTo(c.count("visit-" + i));
        }
        c.forget();
        assertThat(roundTrip(c).known()).isFalse();
        ByteArrayDataOutput tooMany = new ByteArrayDataOutput();
        Varints.writeInt(tooMany, Character.MAX_VALUE + 3);
        assertThatThrownBy(() -> read(tooMany.toByteArray()))
                .hasMessageContaining("as a count of visits");
        assertThatThrownBy(() -> read(new byte[] {2, 5, 0}))
                .as("a visit counted 0 times")
                .hasMessageContaining("a visit hash");
    }

    private static VisitCounts roundTrip(VisitCounts c) throws Exception {
        ByteArrayDataOutput out = new ByteArrayDataOutput();
        c.write(out);
        return read(out.toByteArray());
    }

    private static VisitCounts read(byte[] b) throws Exception {
        VisitCounts c = new VisitCounts();
        c.read(new ByteArrayDataInput(b), true);
        return c;
    }
}
