package io.cohortflow.core.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Rows added later and flushed in one merge equal rows inserted one by one at their places. */
class OrdinalRowsTest {

    @Test
    void rows_added_later_and_flushed_equal_rows_upserted_one_by_one() {
        Random r = new Random(42);
        OrdinalRows.Held held = new OrdinalRows.Held(); // reused: each merge empties it
        for (int run = 0; run < 500; run++) {
            OrdinalRows merged = new OrdinalRows(2);
            TreeMap<Integer, long[]> expected = new TreeMap<>();
            for (int round = 0; round < 4; round++) {
                // Some rows inserted at once, then a batch of new ones held back, in an order
                // that is sorted, shuffled or reversed; small batches are sorted in place,
                // large ones through a sort of their own.
                for (int k = r.nextInt(5); k > 0; k--) {
                    int ordinal = r.nextInt(200);
                    int row = merged.upsert(ordinal);
                    merged.set(row, 0, ordinal * 10L);
                    merged.set(row, 1, -ordinal);
                    expected.put(ordinal, new long[] {ordinal * 10L, -ordinal});
                }
                List<Integer> batch = new ArrayList<>();
                for (int k = r.nextInt(r.nextBoolean() ? 40 : 160); k > 0; k--) {
                    int ordinal = r.nextInt(400);
                    if (!expected.containsKey(ordinal) && !batch.contains(ordinal)) {
                        batch.add(ordinal);
                    }
                }
                switch (r.nextInt(3)) {
                    case 0 -> Collections.sort(batch);
                    case 1 -> Collections.shuffle(batch, r);
                    default -> batch.sort(Collections.reverseOrder());
                }
                for (int ordinal : batch) {
                    held.add(ordinal, ordinal * 10L + round, -round);
                    expected.put(ordinal, new long[] {ordinal * 10L + round, -round});
                }
                merged.merge(held);
                assertThat(held.isEmpty()).isTrue();
                assertThat(merged.size()).isEqualTo(expected.size());
                int row = 0;
                for (var e : expected.entrySet()) {
                    assertThat(merged.ordinal(row)).isEqualTo(e.getKey());
                    assertThat(merged.get(row, 0)).isEqualTo(e.getValue()[0]);
                    assertThat(merged.get(row, 1)).isEqualTo(e.getValue()[1]);
                    assertThat(merged.find(e.getKey())).isEqualTo(row);
                    row++;
                }
            }
        }
    }

    @Test
    void a_held_row_for_an_ordinal_the_table_has_fails_the_merge_and_is_not_kept() {
        OrdinalRows rows = new OrdinalRows(2);
        rows.set(rows.upsert(5), 0, 50);
        OrdinalRows.Held held = new OrdinalRows.Held();
        held.add(9, 90, 0);
        held.add(5, 51, 0);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> rows.merge(held))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ordinal 5");
        assertThat(held.isEmpty()).isTrue(); // the next profile's merge starts empty
        held.add(7, 70, 0);
        OrdinalRows other = new OrdinalRows(2);
        other.merge(held);
        assertThat(other.size()).isEqualTo(1);
        assertThat(other.get(other.find(7), 0)).isEqualTo(70);
    }
}
