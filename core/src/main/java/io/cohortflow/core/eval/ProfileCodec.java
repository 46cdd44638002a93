package io.cohortflow.core.eval;

import io.cohortflow.core.state.ByteArrayDataInput;
import io.cohortflow.core.state.ByteArrayDataOutput;
import io.cohortflow.core.state.Varints;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The compact binary form of a {@link UserProfile}, versioned by its first byte. Counters are keyed
 * by their store's number in the workspace ({@link SegmentOrdinals}); instants are distances from
 * the user's now; the instants events stamp on counter entries and memberships are written once, in
 * an {@link InstantDictionary}, and used by index; counter values only for sums (varints when
 * whole), keys only for distinct counts; memberships and rechecks by column ({@link RowsCodec});
 * the history's chunks last ({@link ChunksCodec}). Earlier versions are read by {@link
 * PreviousProfileFormats}. The job's Flink serializer delegates here, so no Kryo is involved.
 */
public final class ProfileCodec {
    /** The encoding version this build writes (the first byte of every profile). */
    public static final int VERSION = 16;

    /**
     * Version 15 marked a history of more visits than {@link VisitCounts} counts by how many more,
     * where version 16 keeps a filter of them: a profile read from it has its visits not known, and
     * filters them at its next read of the history.
     */
    static final int UNFILTERED = 15;

    /**
     * Version 14 did not mark a history of more visits than {@link VisitCounts} counts: a profile
     * read from it counts its visits in vain once more, at its next read of the history.
     */
    static final int UNMARKED_OVERFLOW = 14;

    /**
     * Version 13 wrote no run of the marked visit ({@link Visits#run}) and no counts of the visits
     * ({@link VisitCounts}): a profile read from it has neither known, and learns them at its next
     * read of the history.
     */
    static final int RUNLESS = 13;

    /**
     * Version 12 wrote no visit ({@link Visits#marked}), no names marked as of it and no newest
     * time per name: a profile read from it has none, its gates read its visit from the history
     * once, and its names' newest times are learnt at its next history read ({@link NameCounts}).
     */
    static final int UNMARKED = 12;

    /**
     * Version 11 wrote the open chunk's events one after the other, to be decoded to be read past;
     * version 12 writes their lengths first, so the chunk is read as bytes ({@link EventChunk}).
     */
    static final int EVENTS_UNSIZED = 11;

    /**
     * Version 10 keyed counters by a 64-bit hash of their store, where version 11 writes store
     * numbers ({@link SegmentOrdinals}) as gaps, a byte each for most. A version 10 profile is read
     * without its counters: its counters version makes the engine rebuild them from the history on
     * the profile's next use (see {@link UserProfile#COUNTERS}).
     */
    static final int HASHED_STORES = 10;

    static final int HAS_VALUES = 1;
    static final int HAS_KEYS = 2;

    /**
     * Version 10 on: the values are whole numbers, written as signed varints (a revenue of 25 or a
     * depth of 40 in one byte or two instead of eight).
     */
    static final int WHOLE_VALUES = 4;

    /** The most instants a profile's dictionary may hold: a bound on what damaged input costs. */
    private static final int MAX_INSTANTS = 1 << 20;

    private ProfileCodec() {}

    public static void write(UserProfile p, DataOutput out) throws IOException {
        out.writeByte(VERSION);
        long base = base(p);
        writeClock(p, out);
        NamesCodec.write(p, out);
        InstantDictionary.Writer instants = counterInstants(p, base);
        int entriesFrom = instants.used();
        RowsCodec.addEntries(p.memberships.rows(), base, instants);
        int namesFrom = instants.used();
        NamesCodec.addTimes(p, base, instants);
        instants.write(out);
        Varints.writeInt(out, p.counters.size());
        long previous = -1; // store numbers ascend: each as its gap from the one before
        for (int i = 0; i < p.counters.size(); i++) {
            Varints.writeUnsigned(out, p.counters.key(i) - previous - 1);
            previous = p.counters.key(i);
            counter(p.counters.value(i), out);
        }
        writeUses(instants, 0, entriesFrom, out); // the counter entries'
        RowsCodec.writeSection(p.memberships.rows(), out);
        RowsCodec.writeEntries(p.memberships, base, instants, entriesFrom, out);
        writeUses(instants, namesFrom, instants.used(), out);
        instants.clear();
        RowsCodec.writeRechecks(p.rechecks, base, out);
        PreviousProfileFormats.writeUnnumbered(p, out);
        Varints.writeInt(out, p.countersVersion);
        Varints.writeUnsigned(out, p.definitionsEpoch);
        ChunksCodec.write(p, out);
    }

    /** A dictionary holding the instant of every counter entry, in counter and entry order. */
    static InstantDictionary.Writer counterInstants(UserProfile p, long base) {
        InstantDictionary.Writer instants = InstantDictionary.writer();
        for (int i = 0; i < p.counters.size(); i++) {
            CounterState s = p.counters.value(i);
            for (int e = 0; e < s.size(); e++) {
                instants.add(base - s.time(e));
            }
        }
        return instants;
    }

    /** The instants of uses {@code from} to {@code to} of the written dictionary, packed. */
    static void writeUses(InstantDictionary.Writer instants, int from, int to, DataOutput out)
            throws IOException {
        InstantDictionary.Bits times =
                new InstantDictionary.Bits(InstantDictionary.width(instants.distinct()));
        for (int use = from; use < to; use++) {
            times.write(out, instants.rankOf(use));
        }
        times.finish(out);
    }

    public static UserProfile read(DataInput in) throws IOException {
        int version = in.readUnsignedByte();
        if (version != VERSION
                && version != UNFILTERED
                && version != UNMARKED_OVERFLOW
                && version != RUNLESS
                && version != UNMARKED
                && version != EVENTS_UNSIZED
                && version != HASHED_STORES) {
            return PreviousProfileFormats.read(version, in);
        }
        UserProfile p = new UserProfile();
        p.visits.counts.forget(); // until read (version 14 on) or counted from the history
        readClock(p, in, true);
        long base = base(p);
        boolean[] timed = NamesCodec.read(p, in, version);
        long[] instants = InstantDictionary.read(in, MAX_INSTANTS);
        int counters = Varints.readInt(in);
        if (counters < 0) {
            throw new IOException(counters + " counters");
        }
        long[] ids = new long[Math.min(counters, 1 << 16)]; // a count read, not yet trusted
        CounterState[] states = new CounterState[ids.length];
        long previous = -1;
        for (int i = 0; i < counters; i++) {
            if (i == ids.length) {
                ids = java.util.Arrays.copyOf(ids, i * 2);
                states = java.util.Arrays.copyOf(states, i * 2);
            }
            if (version == HASHED_STORES) {
                ids[i] = in.readLong();
            } else {
                ids[i] = previous + 1 + Varints.readUnsigned(in);
                if (ids[i] > Integer.MAX_VALUE || ids[i] <= previous) {
                    throw new IOException("counter store number " + ids[i] + " after " + previous);
                }
                previous = ids[i];
            }
            states[i] = entries(in);
        }
        p.counters.reserve(counters);
        InstantDictionary.Bits times =
                new InstantDictionary.Bits(InstantDictionary.width(instants.length));
        for (int i = 0; i < counters; i++) {
            CounterState s = states[i];
            for (int k = 0; k < s.size(); k++) {
                s.setDecodedTime(k, base - instants[times.read(in, instants.length)]);
            }
            p.counters.put(ids[i], s);
        }
        RowsCodec.readSection(p, in, base, RowsCodec.Format.SHARED, instants);
        if (timed != null) {
            NamesCodec.readTimes(p, in, base, instants, timed);
        }
        RowsCodec.readRechecks(p.rechecks, in, base);
        PreviousProfileFormats.readUnnumbered(p, in, false);
        p.countersVersion = Varints.readInt(in);
        p.definitionsEpoch = Varints.readUnsigned(in);
        ChunksCodec.read(p, in, version >= UNMARKED);
        if (version == HASHED_STORES) {
            dropHashedCounters(p);
        }
        return p;
    }

    /**
     * Drops the counters of a profile written with them keyed by their store's hash (versions 10
     * and earlier), which no catalog's numbers name, and marks them for a rebuild from the history
     * on the profile's next use.
     */
    static void dropHashedCounters(UserProfile p) {
        p.counters.clear();
        p.countersVersion = Math.min(p.countersVersion, UserProfile.HASHED_COUNTERS);
    }

    /**
     * The clock and the history's bookkeeping: the user's now, then every instant as a distance
     * from it ({@code relative}, versions 5 on) or as it is.
     */
    static void writeClock(UserProfile p, DataOutput out) throws IOException {
        out.writeLong(p.now);
        long base = base(p);
        instant(out, p.floor, base, true);
        instant(out, p.nextExpiry, base, true);
        instant(out, p.lastEventTime, base, true);
        Varints.writeInt(out, p.historySize);
        instant(out, p.historyOldest, base, true);
        Varints.writeUnsigned(out, p.insertions);
        instant(out, p.scheduledWakeUp, base, true);
    }

    static void readClock(UserProfile p, DataInput in, boolean relative) throws IOException {
        p.now = in.readLong();
        long base = base(p);
        p.floor = instant(in, base, relative);
        p.nextExpiry = instant(in, base, relative);
        p.lastEventTime = instant(in, base, relative);
        p.historySize = Varints.readInt(in);
        p.historyOldest = instant(in, base, relative);
        p.insertions = Varints.readUnsigned(in);
        p.scheduledWakeUp = instant(in, base, relative);
    }

    /** Memberships and rechecks are stored relative to the user's now. */
    static long base(UserProfile p) {
        return p.now == Long.MIN_VALUE ? 0 : p.now;
    }

    /** An instant as a distance from {@code base}, or the two "none" values, in a varint. */
    static void instant(DataOutput out, long t, long base, boolean relative) throws IOException {
        if (!relative) {
            out.writeLong(t);
        } else if (t == Long.MIN_VALUE || t == Long.MAX_VALUE) {
            Varints.writeUnsigned(out, t == Long.MIN_VALUE ? 0 : 1);
        } else {
            long d = t - base;
            Varints.writeUnsigned(out, 2 + ((d << 1) ^ (d >> 63)));
        }
    }

    static long instant(DataInput in, long base, boolean relative) throws IOException {
        if (!relative) {
            return in.readLong();
        }
        long v = Varints.readUnsigned(in);
        if (v < 2) {
            return v == 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        long z = v - 2;
        return base + ((z >>> 1) ^ -(z & 1));
    }

    /**
     * A counter's entries but their times (written after all counters, as indices into the
     * profile's instants): how many and which of values and keys follow, then per entry its value
     * and key.
     */
    static void counter(CounterState s, DataOutput out) throws IOException {
        int n = s.size();
        boolean values = false;
        boolean keys = false;
        for (int i = 0; i < n; i++) {
            values |= s.value(i) != 1 && s.key(i) == null;
            keys |= s.key(i) != null;
        }
        boolean whole = values;
        for (int i = 0; i < n && whole; i++) {
            whole = isWhole(s.value(i));
        }
        // The count and the three flags in one varint: a byte for most counters.
        Varints.writeUnsigned(
                out,
                (long) n << 3
                        | (values ? HAS_VALUES : 0)
                        | (keys ? HAS_KEYS : 0)
                        | (whole ? WHOLE_VALUES : 0));
        for (int i = 0; i < n; i++) {
            if (whole) {
                Varints.writeSigned(out, (long) s.value(i));
            } else if (values) {
                out.writeDouble(s.value(i));
            }
            if (keys) {
                Varints.writeString(out, s.key(i));
            }
        }
    }

    /**
     * A counter's entries as {@link #counter} wrote them, their times to be read after (from the
     * dictionary's indices, which follow every counter); keys only for a counter whose entries have
     * them.
     */
    private static CounterState entries(DataInput in) throws IOException {
        long header = Varints.readUnsigned(in);
        int n = entryCount(header >>> 3);
        int flags = (int) (header & 7);
        boolean keyed = (flags & HAS_KEYS) != 0;
        long[] held = CounterState.entries(n);
        String[] keys = keyed ? new String[Math.max(n, 2)] : null;
        for (int i = 0; i < n; i++) {
            CounterState.setDecoded(held, i, 0, value(in, flags));
            if (keys != null) {
                keys[i] = Varints.readString(in);
            }
        }
        return new CounterState(held, keys, n);
    }

    /**
     * A counter's entry count as read, checked (every version's): no counter holds more entries
     * than a profile has instants, and damaged bytes must fail the read, not allocate for them.
     */
    static int entryCount(long entries) throws IOException {
        if (entries < 0 || entries > MAX_INSTANTS) {
            throw new IOException("a counter of " + entries + " entries");
        }
        return (int) entries;
    }

    /** An entry's value as the counter's {@code flags} say it was written. */
    static double value(DataInput in, int flags) throws IOException {
        if ((flags & WHOLE_VALUES) != 0) {
            return Varints.readSigned(in);
        }
        if ((flags & HAS_VALUES) != 0) {
            return in.readDouble();
        }
        return (flags & HAS_KEYS) != 0 ? 0 : 1;
    }

    /** Whether {@code v} is written exactly as a long: a whole number, not -0, within 2^53. */
    private static boolean isWhole(double v) {
        return v == (long) v
                && Math.abs(v) <= 1L << 53
                && Double.doubleToRawLongBits(v) != Double.doubleToRawLongBits(-0.0);
    }

    static String string(DataInput in, boolean legacy) throws IOException {
        return legacy ? in.readUTF() : Varints.readString(in);
    }

    /**
     * The profile as bytes in memory: copies (where a state backend hands out the stored object), a
     * backfill's savepoint, tests and size reports.
     */
    public static byte[] toBytes(UserProfile p) {
        ByteArrayDataOutput out = new ByteArrayDataOutput(1024);
        try {
            write(p, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static UserProfile fromBytes(byte[] b) {
        try {
            return read(new ByteArrayDataInput(b));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
