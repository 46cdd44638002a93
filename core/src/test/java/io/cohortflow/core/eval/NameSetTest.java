package io.cohortflow.core.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** A name set answers as the set it was made from, scanned or hashed. */
class NameSetTest {

    @Test
    void answers_as_the_set_it_was_made_from_small_or_large() {
        for (int size : new int[] {0, 1, 2, 16, 17, 40}) {
            Set<String> names =
                    IntStream.range(0, size).mapToObj(i -> "Event" + i).collect(Collectors.toSet());
            Set<String> set = NameSet.of(names);
            assertThat(set).isEqualTo(names).hasSameHashCodeAs(names);
            for (int i = 0; i < 50; i++) {
                assertThat(set.contains("Event" + i))
                        .as("size %d, Event%d", size, i)
                        .isEqualTo(i < size);
                // The same name in another string instance, and one with the same hash.
                assertThat(set.contains(new String("Event" + i))).isEqualTo(i < size);
            }
            assertThat(set.contains("Aa")).isEqualTo(names.contains("Aa"));
            assertThat(set.contains("BB")).isFalse(); // "BB" hashes as "Aa" does
            assertThat(set.contains((Object) 7)).isFalse();
            assertThatThrownBy(() -> set.add("x"))
                    .isInstanceOf(UnsupportedOperationException.class);
        }
        assertThat(NameSet.of(null)).isNull();
        Set<String> once = NameSet.of(Set.of("Aa"));
        assertThat(once.contains("BB")).isFalse();
        assertThat(NameSet.of(once)).isSameAs(once);
        assertThat(NameSet.each(List.of(Set.of("a"), Set.of("b", "c"))))
                .containsExactly(Set.of("a"), Set.of("b", "c"));
    }
}
