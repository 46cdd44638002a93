package io.cohortflow.core.eval;

import io.cohortflow.core.state.Varints;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * A profile's rows in their binary form ({@link ProfileCodec}): memberships (versions 7 on) and
 * rechecks (version 10 on), by column. Both are rows of a segment ordinal and instants, and both
 * repeat their instants: one event makes many segments true at once, and the rechecks of the
 * segments reading the same events fall on the same few window ends.
 */
final class RowsCodec {
    private RowsCodec() {}

    /** The {@code n} ordinals of a section, in an array with room for more (see readSection). */
    private static int[] readOrdinals(DataInput in, int n, boolean bitmap) throws IOException {
        int[] ordinals = new int[OrdinalRows.roomFor(n)];
        if (bitmap) {
            byte[] bits = new byte[Varints.readInt(in)];
            in.readFully(bits);
            int r = 0;
            for (int b = 0; b < bits.length; b++) {
                for (int set = bits[b] & 0xFF; set != 0; set &= set - 1) {
                    if (r == n) {
                        throw new IOException("membership bitmap holds more than " + n + " rows");
                    }
                    ordinals[r++] = b << 3 | Integer.numberOfTrailingZeros(set);
                }
            }
            if (r != n) {
                throw new IOException("membership bitmap holds " + r + " of " + n + " rows");
            }
        } else {
            int ordinal = -1;
            for (int r = 0; r < n; r++) {
                ordinal += Varints.readInt(in) + 1;
                ordinals[r] = ordinal;
            }
        }
        return ordinals;
    }

    /**
     * Memberships by column, since a user holds hundreds and their entry times repeat: ordinals
     * ascending, as gaps (a byte each) or as a bitmap when that is shorter (a user in half of a
     * thousand segments: 125 bytes instead of 500); segment versions one by one or, when shorter,
     * as runs of equal ones (most segments are never edited); entry times as indices into the
     * user's distinct entry instants (one event makes many segments true at once: a few dozen
     * instants for hundreds of rows), packed in as few bits as their count needs, the instants as
     * distances from the user's now; exit times for the rows of former members only. About two
     * bytes a membership, where row by row (version 6) took eight and version 7 three.
     */
    static void writeSection(OrdinalRows m, long base, DataOutput out) throws IOException {
        int n = m.size();
        boolean bitmap = bitmapShorter(m);
        int versionBytes = 0;
        int runBytes = 0;
        for (int row = 0; row < n; ) {
            long version = m.get(row, UserProfile.VERSION);
            int run = 1;
            while (row + run < n && m.get(row + run, UserProfile.VERSION) == version) {
                run++;
            }
            int size = Varints.sizeOfUnsigned(version);
            versionBytes += size * run;
            runBytes += size + Varints.sizeOfInt(run);
            row += run;
        }
        boolean runs = runBytes < versionBytes;
        Varints.writeInt(out, n << 2 | (runs ? 2 : 0) | (bitmap ? 1 : 0));
        writeOrdinals(m, bitmap, out);
        for (int row = 0; row < n; ) {
            long version = m.get(row, UserProfile.VERSION);
            int run = 1;
            while (runs && row + run < n && m.get(row + run, UserProfile.VERSION) == version) {
                run++;
            }
            if (runs) {
                Varints.writeInt(out, run);
            }
            Varints.writeUnsigned(out, version);
            row += run;
        }
        writeInstants(m, UserProfile.ENTERED, base, false, out);
        writeExits(m, out, base);
    }

    /**
     * Rechecks (version 10 on): the count and whether the ordinals are a bitmap, the ordinals, the
     * instants as a column of {@link #writeInstants}. A user's rechecks are the next window ends of
     * the segments evaluated over the history: 80 rows in about 10 distinct instants at 1 000
     * definitions, where a distance per row took 6 bytes a row.
     */
    static void writeRechecks(OrdinalRows rechecks, long base, DataOutput out) throws IOException {
        boolean bitmap = bitmapShorter(rechecks);
        Varints.writeInt(out, rechecks.size() << 1 | (bitmap ? 1 : 0));
        if (rechecks.isEmpty()) {
            return; // most users: one byte
        }
        writeOrdinals(rechecks, bitmap, out);
        writeInstants(rechecks, 0, base, true, out);
    }

    /** Reads what {@link #writeRechecks} wrote into {@code rechecks}, which is empty. */
    static void readRechecks(OrdinalRows rechecks, DataInput in, long base) throws IOException {
        int header = Varints.readInt(in);
        int n = header >>> 1;
        if (n == 0) {
            return;
        }
        int[] ordinals = readOrdinals(in, n, (header & 1) != 0);
        for (int i = 1; i < n; i++) {
            if (ordinals[i] <= ordinals[i - 1]) {
                throw new IOException("recheck ordinals out of order at row " + i);
            }
        }
        long[] rows = new long[ordinals.length];
        readInstants(in, n, rows, 1, 0, base, true, true);
        rechecks.load(ordinals, rows, n);
    }

    /** Whether a bitmap of the rows' ordinals is shorter than their gaps. */
    private static boolean bitmapShorter(OrdinalRows m) {
        int n = m.size();
        int bitmapBytes = n == 0 ? 0 : m.ordinal(n - 1) / 8 + 1;
        // Gaps take at least a byte a row: a bitmap shorter than the rows wins without counting.
        if (bitmapBytes + Varints.sizeOfInt(bitmapBytes) < n) {
            return true;
        }
        if (n == 0) {
            return false;
        }
        int gapBytes = 0;
        int previous = -1;
        for (int row = 0; row < n; row++) {
            gapBytes += Varints.sizeOfInt(m.ordinal(row) - previous - 1);
            previous = m.ordinal(row);
        }
        return bitmapBytes + Varints.sizeOfInt(bitmapBytes) < gapBytes;
    }

    /** The rows' ordinals, ascending: a bitmap (its length first) or gaps. */
    private static void writeOrdinals(OrdinalRows m, boolean bitmap, DataOutput out)
            throws IOException {
        int n = m.size();
        if (bitmap) {
            byte[] bits = new byte[n == 0 ? 0 : m.ordinal(n - 1) / 8 + 1];
            for (int row = 0; row < n; row++) {
                bits[m.ordinal(row) >>> 3] |= (byte) (1 << (m.ordinal(row) & 7));
            }
            Varints.writeInt(out, bits.length);
            out.write(bits);
        } else {
            int previous = -1;
            for (int row = 0; row < n; row++) {
                Varints.writeInt(out, m.ordinal(row) - previous - 1);
                previous = m.ordinal(row);
            }
        }
    }

    /**
     * Column {@code column} of the rows, instants, as their distinct distances from {@code base}
     * ascending (as gaps), then an index per row into them, packed in as few bits as their count
     * needs (5 for 32 of them). Written per event by the job, for hundreds of rows and a few dozen
     * instants: the instants are found with a small hash table and only they are sorted (sorting
     * every row's instant and searching it per row was a third of the job's time for users in most
     * of 1 000 segments). The table and arrays are the thread's, reused: sized for the rows, they
     * were most of what the job allocated per event. With {@code rowsWhenDistinct} (rechecks), a
     * column whose every row has its own instant is written as distances in row order instead,
     * without indices.
     */
    private static void writeInstants(
            OrdinalRows m, int column, long base, boolean rowsWhenDistinct, DataOutput out)
            throws IOException {
        int n = m.size();
        Instants scratch = SCRATCH.get();
        int k = scratch.distinct(m, column, base);
        long[] sorted = java.util.Arrays.copyOf(scratch.instants, k);
        java.util.Arrays.sort(sorted);
        int[] rank = scratch.rank(sorted);
        int[] instantOf = scratch.instantOf;
        scratch.clear();
        Varints.writeInt(out, k);
        if (rowsWhenDistinct && k == n) {
            for (int r = 0; r < n; r++) {
                Varints.writeSigned(out, base - m.get(r, column));
            }
            return;
        }
        long last = 0;
        for (int i = 0; i < k; i++) {
            Varints.writeSigned(out, sorted[i] - last);
            last = sorted[i];
        }
        int width = indexWidth(k);
        long buffer = 0;
        int buffered = 0;
        for (int r = 0; r < n; r++) {
            buffer |= (long) rank[instantOf[r]] << buffered;
            buffered += width;
            while (buffered >= 8) {
                out.writeByte((int) buffer);
                buffer >>>= 8;
                buffered -= 8;
            }
        }
        if (buffered > 0) {
            out.writeByte((int) buffer);
        }
    }

    /**
     * Reads a column of {@link #writeInstants} (or, not {@code packed}, of version 7: an index a
     * varint) into column {@code column} of {@code n} rows of {@code columns} longs.
     */
    private static void readInstants(
            DataInput in,
            int n,
            long[] rows,
            int columns,
            int column,
            long base,
            boolean packed,
            boolean rowsWhenDistinct)
            throws IOException {
        int k = Varints.readInt(in);
        if (k > n) {
            throw new IOException(k + " distinct instants for " + n + " rows");
        }
        if (rowsWhenDistinct && k == n) {
            for (int r = 0; r < n; r++) {
                rows[r * columns + column] = base - Varints.readSigned(in);
            }
            return;
        }
        long[] distinct = new long[k];
        long last = 0;
        for (int i = 0; i < distinct.length; i++) {
            last += Varints.readSigned(in);
            distinct[i] = last;
        }
        int width = indexWidth(distinct.length);
        long buffer = 0;
        int buffered = 0;
        for (int r = 0; r < n; r++) {
            int index;
            if (packed) {
                while (buffered < width) {
                    buffer |= (long) in.readUnsignedByte() << buffered;
                    buffered += 8;
                }
                index = (int) (buffer & ((1L << width) - 1));
                buffer >>>= width;
                buffered -= width;
            } else {
                index = Varints.readInt(in);
            }
            if (index >= distinct.length) {
                throw new IOException("instant " + index + " of " + distinct.length);
            }
            rows[r * columns + column] = base - distinct[index];
        }
    }

    private static final ThreadLocal<Instants> SCRATCH = ThreadLocal.withInitial(Instants::new);

    /**
     * The distinct instants of a column of rows, as distances from its base, found with an
     * open-addressing table that grows with the instants (not the rows) and is emptied after each
     * use by clearing only the slots taken.
     */
    private static final class Instants {
        private long[] keys = new long[64];
        private int[] ids = new int[64]; // index + 1; 0 for an empty slot
        private long[] instants = new long[32]; // in order of first appearance
        private int[] slots = new int[32]; // the table slot of each
        private int count;
        private int[] instantOf = new int[256]; // per row, its instant's index

        /** Finds the instants of the rows' column; returns how many distinct ones there are. */
        int distinct(OrdinalRows m, int column, long base) {
            int n = m.size();
            if (instantOf.length < n) {
                instantOf = new int[Math.max(n, instantOf.length * 2)];
            }
            for (int r = 0; r < n; r++) {
                long d = base - m.get(r, column);
                int i = slot(d);
                if (ids[i] == 0) {
                    if (2 * (count + 1) > keys.length) {
                        grow();
                        i = slot(d);
                    }
                    if (count == instants.length) {
                        instants = java.util.Arrays.copyOf(instants, count * 2);
                        slots = java.util.Arrays.copyOf(slots, count * 2);
                    }
                    keys[i] = d;
                    instants[count] = d;
                    slots[count] = i;
                    ids[i] = ++count;
                }
                instantOf[r] = ids[i] - 1;
            }
            return count;
        }

        /** Per instant (by index of first appearance), its rank among {@code sorted}. */
        int[] rank(long[] sorted) {
            int[] rank = new int[sorted.length];
            for (int i = 0; i < sorted.length; i++) {
                rank[ids[slot(sorted[i])] - 1] = i;
            }
            return rank;
        }

        /**
         * Empties the table for the next section, slot by slot taken (probing for each instant
         * would stop at a slot already emptied).
         */
        void clear() {
            for (int i = 0; i < count; i++) {
                ids[slots[i]] = 0;
            }
            count = 0;
        }

        /** The slot of {@code key} in the table, or the empty slot where it would go. */
        private int slot(long key) {
            int mask = keys.length - 1;
            int i = LongTable.mix(key) & mask;
            while (ids[i] != 0 && keys[i] != key) {
                i = (i + 1) & mask;
            }
            return i;
        }

        private void grow() {
            keys = new long[keys.length * 2];
            ids = new int[ids.length * 2];
            for (int i = 0; i < count; i++) {
                int at = slot(instants[i]);
                keys[at] = instants[i];
                ids[at] = i + 1;
                slots[i] = at;
            }
        }
    }

    /** Exits (versions 7 on): how many, then (row gap, distance from now) per former member. */
    static void writeExits(OrdinalRows m, DataOutput out, long base) throws IOException {
        int n = m.size();
        int exited = 0;
        for (int r = 0; r < n; r++) {
            exited += m.get(r, UserProfile.EXITED) == Long.MIN_VALUE ? 0 : 1;
        }
        Varints.writeInt(out, exited);
        int previousRow = -1;
        for (int r = 0; r < n; r++) {
            long at = m.get(r, UserProfile.EXITED);
            if (at != Long.MIN_VALUE) {
                Varints.writeInt(out, r - previousRow - 1);
                previousRow = r;
                Varints.writeSigned(out, base - at);
            }
        }
    }

    /** Bits per index into {@code count} entry instants (at least one). */
    static int indexWidth(int count) {
        return Math.max(1, 32 - Integer.numberOfLeadingZeros(count - 1));
    }

    /**
     * Reads a section into {@code p}'s rows; {@code packed}: as versions 8 on write it (bitmap or
     * runs by the header's flags, indices packed in bits), else as version 7 did.
     */
    static void readSection(UserProfile p, DataInput in, long base, boolean packed)
            throws IOException {
        int header = Varints.readInt(in);
        int n = packed ? header >>> 2 : header;
        boolean runs = packed && (header & 2) != 0;
        int[] ordinals = readOrdinals(in, n, packed && (header & 1) != 0);
        // The rows as the profile holds them: version, entered, exited, row after row, with room
        // for the few an event enters.
        long[] rows = new long[ordinals.length * UserProfile.MEMBERSHIP_COLUMNS];
        for (int r = 0; r < n; ) {
            int run = runs ? Varints.readInt(in) : 1;
            if (run < 1 || run > n - r) {
                throw new IOException("a run of " + run + " versions where " + (n - r) + " remain");
            }
            long v = Varints.readUnsigned(in);
            for (int i = 0; i < run; i++) {
                rows[r++ * UserProfile.MEMBERSHIP_COLUMNS + UserProfile.VERSION] = v;
            }
        }
        readInstants(
                in,
                n,
                rows,
                UserProfile.MEMBERSHIP_COLUMNS,
                UserProfile.ENTERED,
                base,
                packed,
                false);
        for (int r = 0; r < n; r++) {
            rows[r * UserProfile.MEMBERSHIP_COLUMNS + UserProfile.EXITED] = Long.MIN_VALUE;
        }
        int exits = Varints.readInt(in);
        int r = -1;
        for (int i = 0; i < exits; i++) {
            r += Varints.readInt(in) + 1;
            if (r >= n) {
                throw new IOException("an exit for row " + r + " of " + n);
            }
            rows[r * UserProfile.MEMBERSHIP_COLUMNS + UserProfile.EXITED] =
                    base - Varints.readSigned(in);
        }
        p.loadMemberships(ordinals, rows, n);
    }
}
