package io.cohortflow.core.eval;

import io.cohortflow.core.state.Varints;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/** A profile's membership rows in its binary form ({@link ProfileCodec}), versions 7 on. */
final class MembershipCodec {
    private MembershipCodec() {}

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
        int bitmapBytes = n == 0 ? 0 : m.ordinal(n - 1) / 8 + 1;
        // Gaps take at least a byte a row: a bitmap shorter than the rows wins without counting.
        boolean bitmap = bitmapBytes + Varints.sizeOfInt(bitmapBytes) < n;
        int previous = -1;
        if (!bitmap && n > 0) {
            int gapBytes = 0;
            for (int row = 0; row < n; row++) {
                gapBytes += Varints.sizeOfInt(m.ordinal(row) - previous - 1);
                previous = m.ordinal(row);
            }
            bitmap = bitmapBytes + Varints.sizeOfInt(bitmapBytes) < gapBytes;
        }
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
        if (bitmap) {
            byte[] bits = new byte[bitmapBytes];
            for (int row = 0; row < n; row++) {
                bits[m.ordinal(row) >>> 3] |= (byte) (1 << (m.ordinal(row) & 7));
            }
            Varints.writeInt(out, bitmapBytes);
            out.write(bits);
        } else {
            previous = -1;
            for (int row = 0; row < n; row++) {
                Varints.writeInt(out, m.ordinal(row) - previous - 1);
                previous = m.ordinal(row);
            }
        }
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
        // Entry instants: distinct distances from now, ascending, as gaps; then an index per row.
        // Written per event by the job, for hundreds of rows and a few dozen instants: the
        // instants are found with a small hash table and only they are sorted (sorting every
        // row's instant and searching it per row was a third of the job's time for users in
        // most of 1 000 segments). The table and arrays are the thread's, reused: sized for the
        // rows, they were most of what the job allocated per event.
        Instants scratch = SCRATCH.get();
        int k = scratch.distinct(m, base);
        long[] sorted = java.util.Arrays.copyOf(scratch.instants, k);
        java.util.Arrays.sort(sorted);
        int[] rank = scratch.rank(sorted);
        int[] instantOf = scratch.instantOf;
        scratch.clear();
        Varints.writeInt(out, k);
        long last = 0;
        for (int i = 0; i < k; i++) {
            Varints.writeSigned(out, sorted[i] - last);
            last = sorted[i];
        }
        // The indices packed in as few bits as the count of instants needs (5 for 32 of them).
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
        writeExits(m, out, base);
    }

    private static final ThreadLocal<Instants> SCRATCH = ThreadLocal.withInitial(Instants::new);

    /**
     * The distinct entry instants of a section's rows, as distances from its base, found with an
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

        /** Finds the rows' instants; returns how many distinct ones there are. */
        int distinct(OrdinalRows m, long base) {
            int n = m.size();
            if (instantOf.length < n) {
                instantOf = new int[Math.max(n, instantOf.length * 2)];
            }
            for (int r = 0; r < n; r++) {
                long d = base - m.get(r, UserProfile.ENTERED);
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
        long[] distinct = new long[Varints.readInt(in)];
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
                throw new IOException("entry instant " + index + " of " + distinct.length);
            }
            rows[r * UserProfile.MEMBERSHIP_COLUMNS + UserProfile.ENTERED] = base - distinct[index];
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
