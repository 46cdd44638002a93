package io.cohortflow.core.estimate;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReservoirTest {
    @Test
    void every_item_is_sampled_with_the_same_probability() {
        int items = 1_000;
        int capacity = 100;
        int runs = 2_000;
        int[] chosen = new int[items];
        for (int run = 0; run < runs; run++) {
            Reservoir<Integer> r = new Reservoir<>(capacity, run);
            for (int i = 0; i < items; i++) {
                r.offer(i);
            }
            assertThat(r.sample()).hasSize(capacity).doesNotHaveDuplicates();
            assertThat(r.seen()).isEqualTo(items);
            r.sample().forEach(i -> chosen[i]++);
        }
        // Each item: binomial(2 000, 0.1), mean 200, sd 13.4; six sd either side.
        for (int i = 0; i < items; i++) {
            assertThat(chosen[i]).as("item %d", i).isBetween(120, 280);
        }
        // The first items (kept until replaced) and the last (offered once) alike.
        assertThat(chosen[0] + chosen[1] + chosen[2]).isBetween(480, 720);
        assertThat(chosen[997] + chosen[998] + chosen[999]).isBetween(480, 720);
    }

    @Test
    void a_stream_shorter_than_the_capacity_is_sampled_whole_and_a_seed_repeats_its_sample() {
        Reservoir<String> small = new Reservoir<>(10, 7);
        small.offer("a");
        small.offer("b");
        assertThat(small.sample()).containsExactly("a", "b");

        Reservoir<Integer> one = new Reservoir<>(5, 42);
        Reservoir<Integer> two = new Reservoir<>(5, 42);
        for (int i = 0; i < 100; i++) {
            one.offer(i);
            two.offer(i);
        }
        assertThat(one.sample()).isEqualTo(two.sample());
    }
}
