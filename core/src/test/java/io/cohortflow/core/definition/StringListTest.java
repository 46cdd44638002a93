package io.cohortflow.core.definition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StringListTest {
    /** The searches agree with scanning the list string by string, on random lists and texts. */
    @Test
    void the_automaton_finds_what_a_scan_of_each_string_finds() {
        Random r = new Random(7);
        for (int round = 0; round < 3_000; round++) {
            List<String> needles = new ArrayList<>();
            int n = r.nextInt(6);
            for (int i = 0; i < n; i++) {
                needles.add(word(r, r.nextInt(4))); // short, repeated, sometimes empty
            }
            StringList list = StringList.of(needles);
            for (int t = 0; t < 5; t++) {
                String text = word(r, r.nextInt(12));
                boolean any = needles.stream().anyMatch(text::contains);
                assertThat(list.anyIn(text)).as("%s in %s", needles, text).isEqualTo(any);
                BitSet found = new BitSet();
                list.findIn(text, found);
                boolean all = needles.stream().allMatch(text::contains);
                assertThat(found.cardinality() == list.distinct())
                        .as("all of %s in %s", needles, text)
                        .isEqualTo(all);
                String other = word(r, 3);
                assertThat(list.contains(other)).isEqualTo(needles.contains(other));
            }
        }
    }

    /**
     * The longest list a definition may carry (its 64 KB bound: about 8 000 strings) against the
     * largest text an event may carry (64 Ki characters): a scan per string took seconds per event
     * (minutes over a sequence's history), one pass of the automaton milliseconds.
     */
    @Test
    void a_long_list_against_a_long_text_is_one_pass() {
        Random r = new Random(11);
        List<String> needles = new ArrayList<>();
        for (int i = 0; i < 8_000; i++) {
            needles.add("needle-" + i + "-" + word(r, 6));
        }
        StringList list = StringList.of(needles);
        String text = word(r, 65_536);
        assertTimeoutPreemptively(
                Duration.ofSeconds(20),
                () -> {
                    for (int i = 0; i < 200; i++) {
                        assertThat(list.anyIn(text)).isFalse();
                    }
                });
        assertThat(list.anyIn(text + needles.get(4_321))).isTrue();
    }

    private static String word(Random r, int length) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < length; i++) {
            b.append("ab\uD83Dc".charAt(r.nextInt(4)));
        }
        return b.toString();
    }
}
