package io.cohortflow.core.eval;

import io.cohortflow.core.state.Varints;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * Instants a profile repeats, written once: the distinct ones as distances from the user's now,
 * ascending, as gaps, and each use as an index into them, packed in as few bits as their count
 * needs ({@link Bits}). One event stamps the same instant on every counter entry it adds and on
 * every membership it starts: a user of 40 events holds about 80 counter entries and 450
 * memberships over about 40 distinct instants, so an index takes 6 bits where a distance took 3 to
 * 5 bytes.
 */
final class InstantDictionary {
    private InstantDictionary() {}

    private static final ThreadLocal<Writer> WRITERS = ThreadLocal.withInitial(Writer::new);

    /**
     * The thread's writer, empty. Written per event by the job: the instants are found with a small
     * hash table that grows with the instants (not the uses) and is emptied slot by slot, and only
     * the distinct ones are sorted (sorting every use and searching it was a third of the job's
     * time for users in most of 1 000 segments); its arrays are reused, as sized for the uses they
     * were most of what the job allocated per event.
     */
    static Writer writer() {
        Writer w = WRITERS.get();
        w.clear();
        return w;
    }

    /** Bits per index into {@code count} instants (at least one). */
    static int width(int count) {
        return Math.max(1, 32 - Integer.numberOfLeadingZeros(count - 1));
    }

    /**
     * Reads what {@link Writer#write} wrote: the distinct distances, ascending. At most {@code
     * uses} of them (each is used at least once), a bound on what a damaged input allocates.
     */
    static long[] read(DataInput in, int uses) throws IOException {
        int k = Varints.readInt(in);
        if (k < 0 || k > uses) {
            throw new IOException(k + " distinct instants for " + uses + " uses");
        }
        return distances(in, k);
    }

    /** The {@code k} distances {@link Writer#write} wrote after their count. */
    static long[] distances(DataInput in, int k) throws IOException {
        long[] distinct = new long[k];
        long last = 0;
        for (int i = 0; i < k; i++) {
            last += Varints.readSigned(in);
            distinct[i] = last;
        }
        return distinct;
    }

    /** The uses of a column, added in order, then written as a dictionary and ranks. */
    static final class Writer {
        private long[] keys = new long[64];
        private int[] ids = new int[64]; // index + 1; 0 for an empty slot
        private long[] instants = new long[32]; // in order of first appearance
        private int[] slots = new int[32]; // the table slot of each
        private int count;
        private int[] uses = new int[256]; // per use, its instant's index
        private int used;
        private int[] rank = new int[32];

        /** The last instant added and its index: uses come in runs (a counter's, a batch's). */
        private long lastDistance;

        private int lastIndex = -1;

        /** Adds a use of the instant at distance {@code d}. */
        void add(long d) {
            if (used == uses.length) {
                uses = Arrays.copyOf(uses, used * 2);
            }
            if (lastIndex >= 0 && d == lastDistance) {
                uses[used++] = lastIndex;
                return;
            }
            int i = slot(d);
            if (ids[i] == 0) {
                if (2 * (count + 1) > keys.length) {
                    grow();
                    i = slot(d);
                }
                if (count == instants.length) {
                    instants = Arrays.copyOf(instants, count * 2);
                    slots = Arrays.copyOf(slots, count * 2);
                }
                keys[i] = d;
                instants[count] = d;
                slots[count] = i;
                ids[i] = ++count;
            }
            lastDistance = d;
            lastIndex = ids[i] - 1;
            uses[used++] = lastIndex;
        }

        /** How many uses were added. */
        int used() {
            return used;
        }

        /** How many distinct instants the uses have. */
        int distinct() {
            return count;
        }

        /** Writes the distinct instants ascending, as gaps, after their count. */
        void write(DataOutput out) throws IOException {
            long[] sorted = Arrays.copyOf(instants, count);
            Arrays.sort(sorted);
            if (rank.length < count) {
                rank = new int[Math.max(count, rank.length * 2)];
            }
            Varints.writeInt(out, count);
            long last = 0;
            for (int i = 0; i < count; i++) {
                Varints.writeSigned(out, sorted[i] - last);
                last = sorted[i];
                rank[ids[slot(sorted[i])] - 1] = i;
            }
        }

        /** After {@link #write}: the index written for use {@code use}. */
        int rankOf(int use) {
            return rank[uses[use]];
        }

        /** The distance of use {@code use}. */
        long distanceOf(int use) {
            return instants[uses[use]];
        }

        /** Empties the table for the next column, slot by slot taken. */
        void clear() {
            for (int i = 0; i < count; i++) {
                ids[slots[i]] = 0;
            }
            count = 0;
            used = 0;
            lastIndex = -1;
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

    /** Indices packed in {@code width} bits each, low bits first, the last byte padded. */
    static final class Bits {
        private final int width;
        private long buffer;
        private int buffered;

        Bits(int width) {
            this.width = width;
        }

        void write(DataOutput out, int index) throws IOException {
            buffer |= (long) index << buffered;
            buffered += width;
            while (buffered >= 8) {
                out.writeByte((int) buffer);
                buffer >>>= 8;
                buffered -= 8;
            }
        }

        /** Writes the bits left over, if any. */
        void finish(DataOutput out) throws IOException {
            if (buffered > 0) {
                out.writeByte((int) buffer);
            }
            buffer = 0;
            buffered = 0;
        }

        /** The next index, which must be below {@code count}. */
        int read(DataInput in, int count) throws IOException {
            while (buffered < width) {
                buffer |= (long) in.readUnsignedByte() << buffered;
                buffered += 8;
            }
            int index = (int) (buffer & ((1L << width) - 1));
            buffer >>>= width;
            buffered -= width;
            if (index < 0 || index >= count) { // negative: 32 bits read past the int's sign
                throw new IOException("instant " + index + " of " + count);
            }
            return index;
        }
    }
}
