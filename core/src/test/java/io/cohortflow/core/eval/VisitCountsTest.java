package io.cohortflow.core.eval;

import static io.cohortflow.core.Fixture.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohortflow.core.event.Event;
import io.cohortflow.core.state.ByteArrayDataInput;
import io.cohortflow.core.state.ByteArrayDataOutput;
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
        assertThatThrownBy(() -> read(new byte[] {(byte) (VisitCounts.MAX + 3)}))
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
