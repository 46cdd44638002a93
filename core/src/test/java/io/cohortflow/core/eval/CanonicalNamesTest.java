package io.cohortflow.core.eval;

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
    void a_profile_holds_the_shared_instance_of_each_name_its_events_had() {
        NameCounts a = new NameCounts();
        NameCounts b = new NameCounts();
        String name = "CanonicalNamesTest-" + System.nanoTime();
        a.add(new String(name), false, 1);
        b.add(new String(name), false, 2);
        b.put(new String(name + "-decoded"), 1, false);
        a.put(new String(name + "-decoded"), 1, false);
        assertThat(b.name(0)).isSameAs(a.name(0));
        assertThat(b.name(1)).isSameAs(a.name(1));
    }
}
