package io.cohortflow.core.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.bench.Workload;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ReadersTest {

    /** The search among pivots finds what trying every value down from the start finds. */
    @Test
    void first_flip_of_a_falling_count_is_the_first_value_that_may_flip() {
        Random r = new Random(7);
        // The pivots' segment: any, as a falling count's flips depend on the pivots alone.
        CompiledSegment segment = Workload.catalog("mixed", 1).segments().iterator().next();
        for (int run = 0; run < 5_000; run++) {
            Pivot[] pivots = new Pivot[r.nextInt(6)];
            for (int i = 0; i < pivots.length; i++) {
                double at = r.nextBoolean() ? r.nextInt(12) : r.nextInt(120) / 10.0;
                pivots[i] = new Pivot(at, Pivot.Side.values()[r.nextInt(3)]);
            }
            Arrays.sort(pivots, Comparator.comparingDouble(Pivot::at));
            Readers readers =
                    new Readers(
                            List.of(),
                            List.of(),
                            pivots,
                            filled(new CompiledSegment[pivots.length], segment),
                            new long[pivots.length][0]);
            long from = r.nextInt(15);
            long expected = -1;
            for (long v = from - 1; v >= 0; v--) {
                if (readers.mayFlip(CounterSpec.Kind.COUNT, from, v)) {
                    expected = v;
                    break;
                }
            }
            assertThat(readers.firstFlipFalling(from))
                    .as("from %d over %s", from, Arrays.toString(pivots))
                    .isEqualTo(expected);
        }
    }

    private static CompiledSegment[] filled(CompiledSegment[] a, CompiledSegment s) {
        Arrays.fill(a, s);
        return a;
    }
}
