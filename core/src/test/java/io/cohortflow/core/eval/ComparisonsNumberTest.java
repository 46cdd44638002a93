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

    private static List<Pred.Compare> comparisons() {
        List<Pred.Compare> out = new ArrayList<>();
        for (Op op : Op.values()) {
            for (int k = 0; k < 2; k++) {
                double n = k == 0 ? 3 : 2.5;
                String s = k == 0 ? "1" : "2.5";
                out.add(
                        switch (op.arg()) {
                            case NUM -> Pred.Compare.num(op, SUM, n);
                            case NUM_LIST -> Pred.Compare.nums(op, SUM, List.of(n, 100.0));
                            case RANGE -> Pred.Compare.range(SUM, k == 0 ? 1.0 : null, n);
                            case STR_LIST -> Pred.Compare.strs(op, SUM, List.of(s, "10"));
                            default -> Pred.Compare.str(op, SUM, k == 0 ? s : "1*");
                        });
            }
        }
        return out;
    }
}
