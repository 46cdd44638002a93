package io.cohortflow.core.event;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CanonicalNamesTest {

    @Test
    void equal_names_share_the_instance_put_first_and_every_name_comes_back_equal() {
        // A name no other test puts (the table is the JVM's; tests run one at a time).
        String first = new String("CanonicalNamesTest-" + System.nanoTime());
        String again = new String(first);
        assertThat(CanonicalNames.of(first)).isSameAs(first);
        assertThat(CanonicalNames.of(again)).isSameAs(first);
        // Names sharing a slot take turns, and each comes back equal to itself.
        for (int i = 0; i < 20_000; i++) {
            String name = "Event" + i;
            assertThat(CanonicalNames.of(new String(name))).isEqualTo(name);
        }
    }

    @Test
    void events_carry_the_shared_instance_of_their_name() {
        String name = "CanonicalNamesTest-" + System.nanoTime();
        Event a = Event.of(new String(name), 1, java.util.Map.of());
        Event b = new Event(new String(name), 2, java.util.Map.of(), null, "s");
        assertThat(b.name()).isSameAs(a.name()).isEqualTo(name);
    }
}
