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
                        throw new IOException(
                                "a bitmap of ordinals holds more than " + n + " rows");
                    }
                    ordinals[r++] = b << 3 | Integer.numberOfTrailingZeros(set);
                }
            }
            if (r != n) {
                throw new IOException("a bitmap of ordinals holds " + r + " of " + n + " rows");
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
     * as runs of equal ones (most segments are never edited); then ({@link #writeEntries}) entry
     * times as indices into an {@link InstantDictionary} (one event makes many segments true at
     * once: a few dozen instants for hundreds of rows), and exit times for the rows of former
     * members only. About two bytes a membership, where row by row (version 6) took eight and
     * version 7 three. This writes the header, ordinals and versions.
     */
    static void writeSection(OrdinalRows m, DataOutput out) throws IOException {
        int n = m.size();
        boolean bitmap = bitmapShorter(m);
        int versionBytes = 0;
        int runBytes = 0;
        for (int row = 0; row < n; ) {
            long version = m.get(row, MembershipRows.VERSION);
            int run = 1;
            while (row + run < n && m.get(row + run, MembershipRows.VERSION) == version) {
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
            long version = m.get(row, MembershipRows.VERSION);
            int run = 1;
            while (runs && row + run < n && m.get(row + run, MembershipRows.VERSION) == version) {
                run++;
            }
            if (runs) {
                Varints.writeInt(out, run);
            }
            Varints.writeUnsigned(out, version);
            row += run;
        }
    }

    /**
     * Adds the rows' entry instants to {@code dictionary}, as distances from {@code base}, one use
     * per row in row order.
     */
    static void addEntries(OrdinalRows m, long base, InstantDictionary.Writer dictionary) {
        for (int r = 0; r < m.size(); r++) {
            dictionary.add(base - m.get(r, MembershipRows.ENTERED));
        }
    }

    /**
     * The rows' entry instants, as the ranks of the uses {@link #addEntries} added from use {@code
     * from} on in the written {@code dictionary}, then the exits.
     */
    static void writeEntries(
            MembershipRows m,
            long base,
            InstantDictionary.Writer dictionary,
            int from,
            DataOutput out)
            throws IOException {
        InstantDictionary.Bits bits =
                new InstantDictionary.Bits(InstantDictionary.width(dictionary.distinct()));
        OrdinalRows rows = m.rows();
        for (int r = 0; r < rows.size(); r++) {
            bits.write(out, dictionary.rankOf(from + r));
        }
        bits.finish(out);
        writeExits(m, out, base);
    }

    /** The formats of a membership section that {@link #readSection} reads. */
    enum Format {
        /** Version 7: its own dictionary of entry instants, an index a varint. */
        COLUMNS,
        /** Versions 8 and 9: its own dictionary, indices packed, versions in runs. */
        PACKED,
        /** Version 10 on: indices packed into the profile's dictionary. */
        SHARED
    }

    /**
     * Reads a section into {@code p}'s rows; {@code shared}: the profile's instants, for {@link
     * Format#SHARED}.
     */
    static void readSection(UserProfile p, DataInput in, long base, Format format, long[] shared)
            throws IOException {
        int header = Varints.readInt(in);
        boolean columns = format == Format.COLUMNS;
        int n = columns ? header : header >>> 2;
        boolean runs = !columns && (header & 2) != 0;
        int[] ordinals = readOrdinals(in, n, !columns && (header & 1) != 0);
        // The rows as the profile holds them: version and entered, row after row, with room for
        // the few an event enters; the exits apart (MembershipRows#exits).
        long[] rows = new long[ordinals.length * MembershipRows.COLUMNS];
        for (int r = 0; r < n; ) {
            int run = runs ? Varints.readInt(in) : 1;
            if (run < 1 || run > n - r) {
                throw new IOException("a run of " + run + " versions where " + (n - r) + " remain");
            }
            long v = Varints.readUnsigned(in);
            for (int i = 0; i < run; i++) {
                rows[r++ * MembershipRows.COLUMNS + MembershipRows.VERSION] = v;
            }
        }
        long[] distinct = format == Format.SHARED ? shared : InstantDictionary.read(in, n);
        InstantDictionary.Bits bits =
                new InstantDictionary.Bits(InstantDictionary.width(distinct.length));
        for (int r = 0; r < n; r++) {
            int index;
            if (columns) {
                index = Varints.readInt(in);
                if (index < 0 || index >= distinct.length) {
                    throw new IOException("instant " + index + " of " + distinct.length);
                }
            } else {
                index = bits.read(in, distinct.length);
            }
            rows[r * MembershipRows.COLUMNS + MembershipRows.ENTERED] = base - distinct[index];
        }
        int exits = Varints.readInt(in);
        if (exits > n) {
            throw new IOException(exits + " exits of " + n + " rows");
        }
        int[] exitOrdinals = new int[exits];
        long[] exitedAt = new long[exits];
        int r = -1;
        for (int i = 0; i < exits; i++) {
            r += Varints.readInt(in) + 1;
            if (r >= n) {
                throw new IOException("an exit for row " + r + " of " + n);
            }
            exitOrdinals[i] = ordinals[r];
            exitedAt[i] = base - Varints.readSigned(in);
        }
        p.memberships.load(ordinals, rows, n, exitOrdinals, exitedAt, exits);
    }

    /**
     * Rechecks (version 10 on): the count and whether the ordinals are a bitmap, the ordinals, then
     * the instants in a dictionary of their own. A user's rechecks are the next window ends of the
     * segments evaluated over the history: 80 rows in about 10 distinct instants at 1 000
     * definitions, where a distance per row took 6 bytes a row. When every row has an instant of
     * its own, the instants follow the dictionary's count in row order instead, without indices.
     */
    static void writeRechecks(OrdinalRows rechecks, long base, DataOutput out) throws IOException {
        int n = rechecks.size();
        boolean bitmap = bitmapShorter(rechecks);
        Varints.writeInt(out, n << 1 | (bitmap ? 1 : 0));
        if (n == 0) {
            return; // most users: one byte
        }
        writeOrdinals(rechecks, bitmap, out);
        InstantDictionary.Writer dictionary = InstantDictionary.writer();
        for (int r = 0; r < n; r++) {
            dictionary.add(base - rechecks.get(r, 0));
        }
        if (dictionary.distinct() == n) {
            Varints.writeInt(out, n);
            for (int r = 0; r < n; r++) {
                Varints.writeSigned(out, dictionary.distanceOf(r));
            }
        } else {
            dictionary.write(out);
            InstantDictionary.Bits bits =
                    new InstantDictionary.Bits(InstantDictionary.width(dictionary.distinct()));
            for (int r = 0; r < n; r++) {
                bits.write(out, dictionary.rankOf(r));
            }
            bits.finish(out);
        }
        dictionary.clear();
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
        int k = Varints.readInt(in);
        if (k == n) {
            for (int r = 0; r < n; r++) {
                rows[r] = base - Varints.readSigned(in);
            }
        } else {
            if (k < 1 || k > n) {
                throw new IOException(k + " distinct instants for " + n + " rechecks");
            }
            long[] distinct = InstantDictionary.distances(in, k);
            InstantDictionary.Bits bits = new InstantDictionary.Bits(InstantDictionary.width(k));
            for (int r = 0; r < n; r++) {
                rows[r] = base - distinct[bits.read(in, k)];
            }
        }
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

    /** Exits (versions 7 on): how many, then (row gap, distance from now) per former member. */
    static void writeExits(MembershipRows m, DataOutput out, long base) throws IOException {
        OrdinalRows rows = m.rows();
        OrdinalRows exits = m.exits;
        Varints.writeInt(out, exits.size());
        int previousRow = -1;
        int row = 0;
        for (int i = 0; i < exits.size(); i++) {
            while (rows.ordinal(row) < exits.ordinal(i)) {
                row++; // every exit is of a row
            }
            Varints.writeInt(out, row - previousRow - 1);
            previousRow = row;
            Varints.writeSigned(out, base - exits.get(i, 0));
        }
    }
}
