package io.cohortflow.core.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.definition.Op;
import io.cohortflow.core.definition.Pred;
import io.cohortflow.core.definition.Val;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An aggregate's number tested without boxing answers as the general test does, for every
 * comparison (negated ones, string ones on the number's text, ranges) and every kind of number.
 */
class ComparisonsNumberTest {
    private static final Val SUM = new Val.Attr("metrics/revenue");

    @Test
    void a_number_is_tested_as_the_general_test_tests_it() {
        double[] values = {
            0, -0.0, 1, 2.5, 3, 10, 100, -7, 1e15, 2e15, Double.NaN, Double.POSITIVE_INFINITY
        };
        int compared = 0;
        for (Pred.Compare c : comparisons()) {
            for (double v : values) {
                assertThat(Comparisons.testNumber(c, v))
                        .as("%s %s", c.op(), v)
                        .isEqualTo(Comparisons.test(c, v));
                compared++;
            }
        }
        assertThat(compared).isEqualTo(Op.values().length * 2 * values.length);
    }

    /**
     * A numeric comparison compiled to its outcome per part of its pivots answers as the comparison
     * does at every pivot, next to it, between and beyond them, for NaN and the infinities.
     */
    @Test
    void outcomes_by_pivot_answer_as_the_comparison() {
        java.util.Random r = new java.util.Random(11);
        int compared = 0;
        for (int round = 0; round < 200; round++) {
            for (Pred.Compare c : comparisons(r.nextInt(20) - 5 + (r.nextBoolean() ? 0.5 : 0))) {
                if (!c.op().arg().numeric()) {
                    continue; // refused on aggregates (DefinitionChecker)
                }
                Pivot[] pivots = Thresholds.pivots(c);
                Formula.Outcomes o = Formula.Outcomes.of(v -> Comparisons.testNumber(c, v), pivots);
                List<Double> values =
                        new ArrayList<>(
                                List.of(
                                        Double.NaN,
                                        Double.NEGATIVE_INFINITY,
                                        Double.POSITIVE_INFINITY,
                                        -0.0,
                                        0.0,
                                        1e300,
                                        -1e300));
                for (Pivot p : pivots) {
                    double at = p.at();
                    values.addAll(
                            List.of(at, Math.nextUp(at), Math.nextDown(at), at + 0.25, at - 1));
                }
                for (int k = 0; k < 20; k++) {
                    values.add(r.nextInt(400) / 8.0 - 10);
                }
                for (double v : values) {
                    assertThat(o.of(v))
                            .as("%s %s at %s", c.op(), c, v)
                            .isEqualTo(Comparisons.testNumber(c, v));
                    compared++;
                }
            }
        }
        assertThat(compared).isGreaterThan(20_000);
    }

    /**
     * An eq-in of a hundred thousand numbers on an aggregate compiles in a moment and answers as
     * the comparison: its outcomes tested each pivot against the whole list (10^10 compares, the
     * validator's and the job's compile), and every evaluation scanned the pivots one by one.
     */
    @Test
    void a_long_eq_in_compiles_and_answers_in_time_independent_of_its_length() {
        List<Double> nums = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            nums.add(i * 2.0);
        }
        nums.add(-0.0);
        nums.add(Double.NaN);
        Pred.Compare c = Pred.Compare.nums(Op.EQ_IN, new Val.Attr("metrics/occurrences"), nums);
        Formula.Outcomes[] o = new Formula.Outcomes[1];
        org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                java.time.Duration.ofSeconds(5),
                () ->
                        o[0] =
                                Formula.Outcomes.of(
                                        v -> Comparisons.testNumber(c, v), Thresholds.pivots(c)));
        for (double v :
                new double[] {0, -0.0, 1, 2, 3, 199_998, 199_999, 200_000, -2, Double.NaN}) {
            assertThat(o[0].of(v)).as("%s", v).isEqualTo(Comparisons.testNumber(c, v));
        }
        assertThat(Comparisons.testNumber(c, 1_000)).isTrue();
        assertThat(Comparisons.testNumber(c, 1_001)).isFalse();
        assertThat(Comparisons.testNumber(c, Double.NaN)).isFalse();
    }

    private static List<Pred.Compare> comparisons() {
        return comparisons(3);
    }

    /** Every operator on a sum, around {@code n}. */
    private static List<Pred.Compare> comparisons(double n0) {
        List<Pred.Compare> out = new ArrayList<>();
        for (Op op : Op.values()) {
            for (int k = 0; k < 2; k++) {
                double n = k == 0 ? n0 : n0 - 0.5;
                String s = k == 0 ? "1" : "2.5";
                out.add(
                        switch (op.arg()) {
                            case NUM -> Pred.Compare.num(op, SUM, n);
                            case NUM_LIST -> Pred.Compare.nums(op, SUM, List.of(n, n + 97));
                            case RANGE -> Pred.Compare.range(SUM, k == 0 ? n - 2 : null, n);
                            case STR_LIST -> Pred.Compare.strs(op, SUM, List.of(s, "10"));
                            default -> Pred.Compare.str(op, SUM, k == 0 ? s : "1*");
                        });
            }
        }
        return out;
    }
}
