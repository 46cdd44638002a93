package io.cohortflow.core.eval;

import java.util.Arrays;

/**
 * Rows of a few longs keyed by a segment ordinal, sorted by ordinal in flat arrays: a user's
 * memberships and rechecks. A profile is read for one event and put away again, so the few hundred
 * rows a user holds sit in two arrays rather than in a few hundred map entries and boxed values
 * spread over the heap.
 */
final class OrdinalRows {
    private final int columns;
    private int[] keys = new int[0];
    private long[] values = new long[0];
    private int size;

    OrdinalRows(int columns) {
        this.columns = columns;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** The row of {@code ordinal}, or a negative number when there is none. */
    int find(int ordinal) {
        return Arrays.binarySearch(keys, 0, size, ordinal);
    }

    int ordinal(int row) {
        return keys[row];
    }

    long get(int row, int column) {
        return values[row * columns + column];
    }

    void set(int row, int column, long value) {
        values[row * columns + column] = value;
    }

    /** The row of {@code ordinal}, inserted (its values zero) when there was none. */
    int upsert(int ordinal) {
        int at = find(ordinal);
        if (at >= 0) {
            return at;
        }
        at = -at - 1;
        if (size == keys.length) {
            int n = Math.max(4, size + (size >> 1));
            keys = Arrays.copyOf(keys, n);
            values = Arrays.copyOf(values, n * columns);
        }
        System.arraycopy(keys, at, keys, at + 1, size - at);
        System.arraycopy(values, at * columns, values, (at + 1) * columns, (size - at) * columns);
        keys[at] = ordinal;
        Arrays.fill(values, at * columns, (at + 1) * columns, 0L);
        size++;
        return at;
    }

    /**
     * Fills an empty table with {@code rows} rows: the first {@code rows} of {@code sortedKeys}
     * ascending (the caller checks), and their values row after row. Takes ownership of both
     * arrays, whose room past the rows is for rows added later (a profile read for one event and
     * grown to hold its entries copied both arrays whole).
     */
    void load(int[] sortedKeys, long[] rowValues, int rows) {
        if (size != 0) {
            throw new IllegalStateException("rows already held");
        }
        if (sortedKeys.length < rows || rowValues.length < sortedKeys.length * columns) {
            throw new IllegalArgumentException(
                    sortedKeys.length
                            + " keys and "
                            + rowValues.length
                            + " values for "
                            + rows
                            + " rows");
        }
        keys = sortedKeys;
        values = rowValues;
        size = rows;
    }

    /** Makes room for {@code rows} rows in all, so that filling the table copies nothing. */
    void reserve(int rows) {
        if (rows > keys.length) {
            keys = Arrays.copyOf(keys, rows);
            values = Arrays.copyOf(values, rows * columns);
        }
    }

    /** The rows a table read with {@code rows} rows has room for: a few more, for entries. */
    static int roomFor(int rows) {
        return rows + Math.max(4, rows >> 3);
    }

    /**
     * Rows of two columns (a membership's version and entry) held back to be merged into a table in
     * one pass ({@link #merge}): an event can enter dozens of segments, and inserting each at its
     * place shifts the rows after it each time, and merging each event's entries copied most of a
     * user's rows for every event that entered one (see {@link MembershipRows#entered}).
     */
    static final class Held {
        private int[] keys = new int[4];
        private long[] values = new long[4 * 2];
        private int size;

        /** Their order by ordinal: (ordinal << 32 | position), reused by each merge. */
        private long[] order = new long[4];

        /** Holds a row for {@code ordinal}, which the table it goes to has none of. */
        void add(int ordinal, long first, long second) {
            if (size == keys.length) {
                keys = Arrays.copyOf(keys, size * 2);
                values = Arrays.copyOf(values, size * 2 * 2);
                order = new long[size * 2];
            }
            keys[size] = ordinal;
            int at = size * 2;
            values[at] = first;
            values[at + 1] = second;
            size++;
        }

        boolean isEmpty() {
            return size == 0;
        }

        int size() {
            return size;
        }

        /** The position of {@code ordinal}'s row, or -1: a scan, as they are few. */
        int find(int ordinal) {
            for (int i = 0; i < size; i++) {
                if (keys[i] == ordinal) {
                    return i;
                }
            }
            return -1;
        }

        long get(int at, int column) {
            return values[at * 2 + column];
        }

        void set(int at, int column, long value) {
            values[at * 2 + column] = value;
        }
    }

    /**
     * Inserts the rows {@code held} holds (which it then no longer does) in one pass from the end:
     * the two sorted sequences merged row by row into the table's arrays, or straight into larger
     * ones when it has no room for them all (growing first copied every row twice). The held rows
     * are ordered through packed keys, not moved. An event enters a user into a few segments, or
     * dozens at once: inserting each at its place shifted the rows after it each time, and a copy
     * per run between two inserted rows cost a search and three copies per inserted row.
     */
    void merge(Held held) {
        int later = held.size;
        if (later == 0) {
            return;
        }
        if (columns != 2) {
            throw new IllegalStateException("rows of " + columns + " columns");
        }
        long[] order = held.order;
        boolean sorted = true;
        for (int k = 0; k < later; k++) {
            order[k] = (long) held.keys[k] << 32 | k;
            sorted &= k == 0 || held.keys[k - 1] < held.keys[k];
        }
        if (!sorted) {
            Arrays.sort(order, 0, later); // primitives: no allocation, insertion sort when few
        }
        int total = size + later;
        int[] toKeys = keys;
        long[] toValues = values;
        if (total > keys.length) {
            int n = Math.max(total, size + (size >> 1));
            toKeys = new int[n];
            toValues = new long[n * 2];
        }
        long[] from = held.values;
        int i = size - 1; // the table's rows not yet placed: [0, i]
        int w = total - 1; // where the next row from the end goes
        for (int j = later - 1; j >= 0; w--) {
            int key = (int) (order[j] >>> 32);
            if (i >= 0 && keys[i] >= key) {
                if (keys[i] == key) {
                    held.size = 0;
                    throw new IllegalStateException("ordinal " + key + " has a row already");
                }
                toKeys[w] = keys[i];
                toValues[w * 2] = values[i * 2];
                toValues[w * 2 + 1] = values[i * 2 + 1];
                i--;
            } else {
                int at = (int) order[j] * 2;
                toKeys[w] = key;
                toValues[w * 2] = from[at];
                toValues[w * 2 + 1] = from[at + 1];
                j--;
            }
        }
        if (toKeys != keys) {
            // The rows below every inserted one: in place already, unless the arrays are new.
            System.arraycopy(keys, 0, toKeys, 0, i + 1);
            System.arraycopy(values, 0, toValues, 0, (i + 1) * 2);
            keys = toKeys;
            values = toValues;
        }
        size = total;
        held.size = 0;
    }

    void removeAt(int row) {
        System.arraycopy(keys, row + 1, keys, row, size - row - 1);
        System.arraycopy(
                values, (row + 1) * columns, values, row * columns, (size - row - 1) * columns);
        size--;
    }

    void remove(int ordinal) {
        int at = find(ordinal);
        if (at >= 0) {
            removeAt(at);
        }
    }

    /** Whether a row should go; see {@link #removeIf}. */
    interface RowTest {
        boolean test(int row);
    }

    /** Removes the rows {@code test} picks, in one pass. */
    void removeIf(RowTest test) {
        int kept = 0;
        for (int row = 0; row < size; row++) {
            if (test.test(row)) {
                continue;
            }
            if (kept != row) {
                keys[kept] = keys[row];
                System.arraycopy(values, row * columns, values, kept * columns, columns);
            }
            kept++;
        }
        size = kept;
    }
}
