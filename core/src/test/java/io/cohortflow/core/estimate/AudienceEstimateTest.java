package io.cohortflow.core.estimate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.cohortflow.core.estimate.AudienceEstimate.Stratum;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.Test;

class AudienceEstimateTest {
    /** A known population: users 0..n-1, split over two subtasks by parity, members by rule. */
    private static AudienceEstimate estimate(
            int users, IntPredicate member, int samplePerSubtask, long seed) {
        List<Stratum> strata = new ArrayList<>();
        for (int subtask = 0; subtask < 2; subtask++) {
            Reservoir<Integer> r = new Reservoir<>(samplePerSubtask, seed * 31 + subtask);
            for (int u = subtask; u < users; u += 2) {
                r.offer(u);
            }
            long matched = r.sample().stream().filter(member::test).count();
            strata.add(new Stratum(r.seen(), r.sample().size(), matched));
        }
        return AudienceEstimate.of(strata);
    }

    @Test
    void the_interval_covers_the_true_size_about_as_often_as_it_claims() {
        int users = 50_000;
        IntPredicate member = u -> u % 7 == 0 || u % 11 == 3; // 10 390 members
        long truth = java.util.stream.IntStream.range(0, users).filter(member).count();
        int covered = 0;
        int runs = 200;
        for (int seed = 0; seed < runs; seed++) {
            AudienceEstimate e = estimate(users, member, 1_000, seed);
            assertThat(e.exact()).isFalse();
            assertThat(e.sampled()).isEqualTo(2_000);
            assertThat(e.population()).isEqualTo(users);
            assertThat(e.low()).isLessThanOrEqualTo(e.size());
            assertThat(e.size()).isLessThanOrEqualTo(e.high());
            if (e.low() <= truth && truth <= e.high()) {
                covered++;
            }
        }
        // 95 % nominal: binomial(200, 0.95) falls under 180 with probability below 0.1 %.
        assertThat(covered).isGreaterThanOrEqualTo(180);
        // And the interval is tight enough to be of use: about +-870 (1.96 sd of a 2 000-user
        // sample).
        AudienceEstimate one = estimate(users, member, 1_000, 1);
        assertThat(one.high() - one.low()).isBetween(1_500L, 2_100L);
    }

    @Test
    void a_sample_of_everyone_is_the_exact_count() {
        AudienceEstimate e = estimate(1_000, u -> u < 123, 600, 3);
        assertThat(e.exact()).isTrue();
        assertThat(e.size()).isEqualTo(123);
        assertThat(e.low()).isEqualTo(123);
        assertThat(e.high()).isEqualTo(123);
        assertThat(AudienceEstimate.of(List.of()).size()).isZero();
    }

    @Test
    void
            no_match_in_the_sample_still_leaves_room_above_zero_and_what_the_sample_proves_bounds_it() {
        AudienceEstimate none = AudienceEstimate.of(List.of(new Stratum(100_000, 1_000, 0)));
        assertThat(none.size()).isZero();
        assertThat(none.low()).isZero();
        // Wilson: about 3.8 / 1 000 of the population, where the normal approximation says 0.
        assertThat(none.high()).isBetween(300L, 500L);

        AudienceEstimate all = AudienceEstimate.of(List.of(new Stratum(10, 9, 9)));
        assertThat(all.low()).isEqualTo(9);
        assertThat(all.high()).isEqualTo(10);
        assertThat(all.size()).isEqualTo(10);
    }

    @Test
    void a_small_stratum_sampled_whole_adds_no_certainty_about_a_large_one() {
        // Subtasks of very different sizes: 100 of 100 000 users sampled in one, all 100 in the
        // other. What is unknown is the large one's share, known from 100 users, not 200.
        AudienceEstimate both =
                AudienceEstimate.of(
                        List.of(new Stratum(100_000, 100, 30), new Stratum(100, 100, 30)));
        AudienceEstimate large = AudienceEstimate.of(List.of(new Stratum(100_000, 100, 30)));
        long bothWidth = both.high() - both.low();
        long largeWidth = large.high() - large.low();
        assertThat((double) bothWidth / largeWidth).isCloseTo(1.0, within(0.02));
        // Equal shares sampled: the pooled size, as before.
        AudienceEstimate even =
                AudienceEstimate.of(
                        List.of(new Stratum(50_000, 500, 150), new Stratum(50_000, 500, 150)));
        AudienceEstimate pooled = AudienceEstimate.of(List.of(new Stratum(100_000, 1_000, 300)));
        assertThat(even.low()).isEqualTo(pooled.low());
        assertThat(even.high()).isEqualTo(pooled.high());
    }

    @Test
    void an_impossible_sample_is_refused() {
        assertThatThrownBy(() -> new Stratum(10, 11, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Stratum(10, 5, 6))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
