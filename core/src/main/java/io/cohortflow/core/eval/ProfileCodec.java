package io.cohortflow.core.eval;

import io.cohortflow.core.state.ByteArrayDataInput;
import io.cohortflow.core.state.ByteArrayDataOutput;
import io.cohortflow.core.state.EventCodec;
import io.cohortflow.core.state.Varints;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The compact binary form of a {@link UserProfile}: counter entries as delta-encoded varint times,
 * values only for sums, keys only for distinct counts. Versioned by its first byte. The job's Flink
 * serializer delegates here, so no Kryo is involved.
 */
public final class ProfileCodec {
    /** Version 1 wrote strings with {@code writeUTF}, at most 65 535 bytes; still read. */
    private static final int LEGACY = 1;

    private static final int VERSION = 10;

    /** Version 9 wrote each recheck as an ordinal gap and a distance from now; still read. */
    private static final int PACKED_RECHECKS = 10;

    /** Version 8 had no history chunks (its history is the caller's, per event); still read. */
    private static final int CHUNKS = 9;

    /** Version 5 had no definitions epoch (read as 0: brought up to date on first use). */
    private static final int EPOCHS = 6;

    /** Version 6 wrote memberships row by row (gap, version, entered, exited); still read. */
    private static final int COLUMNS = 7;

    /**
     * Version 7 wrote every membership's ordinal as a gap and every version on its own; still read.
     */
    private static final int RUNS = 8;

    /** Version 4 wrote the clock fields and each counter's first time as raw longs; still read. */
    private static final int ABSOLUTE_TIMES = 4;

    /**
     * Version 3 keyed memberships and rechecks by segment id; still read, as is version 2, which
     * had no counters version either (its counters were compiled by engine v1).
     */
    private static final int BY_SEGMENT_ID = 3;

    private static final int HAS_VALUES = 1;
    private static final int HAS_KEYS = 2;

    /**
     * Version 10 on: the values are whole numbers, written as signed varints (a revenue of 25 or a
     * depth of 40 in one byte or two instead of eight).
     */
    private static final int WHOLE_VALUES = 4;

    private ProfileCodec() {}

    public static void write(UserProfile p, DataOutput out) throws IOException {
        out.writeByte(VERSION);
        writeHead(p, out, true);
        writeRows(p, out);
        Varints.writeInt(out, p.countersVersion);
        Varints.writeUnsigned(out, p.definitionsEpoch);
        writeChunks(p, out);
    }

    /**
     * The history's chunks ({@link ProfileHistory}): 0 for a history kept one entry per event by
     * the caller; else 1 + the number of events of the open chunk, those events, the sealed chunks
     * (how many, then per chunk its id as a gap from the previous one and the time of its oldest
     * event not removed) and the time up to which events were removed.
     */
    private static void writeChunks(UserProfile p, DataOutput out) throws IOException {
        if (p.inlineHistory == null) {
            Varints.writeInt(out, 0);
            return;
        }
        long base = base(p);
        Varints.writeInt(out, p.inlineHistory.size() + 1);
        for (io.cohortflow.core.event.Event e : p.inlineHistory) {
            EventCodec.write(e, out);
        }
        Varints.writeInt(out, p.chunks);
        long previous = 0;
        for (int c = 0; c < p.chunks; c++) {
            Varints.writeUnsigned(out, p.chunkIds[c] - previous);
            previous = p.chunkIds[c];
            instant(out, p.chunkOldest[c], base, true);
        }
        instant(out, p.historyRemovedUpTo, base, true);
    }

    private static void readChunks(UserProfile p, DataInput in) throws IOException {
        int open = Varints.readInt(in);
        if (open == 0) {
            return;
        }
        long base = base(p);
        p.inlineHistory = new java.util.ArrayList<>(open - 1);
        for (int i = 1; i < open; i++) {
            p.inlineHistory.add(EventCodec.read(in));
        }
        int n = Varints.readInt(in);
        p.chunkIds = new long[n];
        p.chunkOldest = new long[n];
        long id = 0;
        for (int c = 0; c < n; c++) {
            id += Varints.readUnsigned(in);
            p.chunkIds[c] = id;
            p.chunkOldest[c] = instant(in, base, true);
        }
        p.chunks = n;
        p.historyRemovedUpTo = instant(in, base, true);
    }

    /**
     * What every version from 2 on writes first: clock, history bookkeeping, names, counters. With
     * {@code relative} (version 5 on) every instant but the user's now is a distance from it.
     */
    static void writeHead(UserProfile p, DataOutput out, boolean relative) throws IOException {
        out.writeLong(p.now);
        long base = base(p);
        instant(out, p.floor, base, relative);
        instant(out, p.nextExpiry, base, relative);
        instant(out, p.lastEventTime, base, relative);
        Varints.writeInt(out, p.historySize);
        instant(out, p.historyOldest, base, relative);
        Varints.writeUnsigned(out, p.insertions);
        instant(out, p.scheduledWakeUp, base, relative);
        Varints.writeInt(out, p.names.size());
        for (int i = 0; i < p.names.size(); i++) {
            Varints.writeString(out, p.names.name(i));
            Varints.writeInt(out, p.names.count(i));
        }
        Varints.writeInt(out, p.counters.size());
        for (int i = 0; i < p.counters.size(); i++) {
            out.writeLong(p.counters.key(i));
            counter(p.counters.value(i), out, base, relative);
        }
    }

    /**
     * Rechecks as versions 4 to 9 wrote them: ordinals as gaps, instants as distances from the
     * user's now, row by row.
     */
    static void writeRechecksRowByRow(UserProfile p, DataOutput out) throws IOException {
        long base = base(p);
        Varints.writeInt(out, p.rechecks.size());
        int previous = -1;
        for (int row = 0; row < p.rechecks.size(); row++) {
            Varints.writeInt(out, p.rechecks.ordinal(row) - previous - 1);
            previous = p.rechecks.ordinal(row);
            Varints.writeSigned(out, p.rechecks.get(row, 0) - base);
        }
    }

    private static void writeRows(UserProfile p, DataOutput out) throws IOException {
        RowsCodec.writeSection(p.memberships, base(p), out);
        RowsCodec.writeRechecks(p.rechecks, base(p), out);
        // Rows of a version 3 profile no catalog has numbered yet.
        Map<String, Membership> legacy =
                p.legacyMemberships == null ? Map.of() : p.legacyMemberships;
        Map<String, Long> legacyRechecks = p.legacyRechecks == null ? Map.of() : p.legacyRechecks;
        Varints.writeInt(out, legacy.size());
        for (Map.Entry<String, Membership> e : legacy.entrySet()) {
            Varints.writeString(out, e.getKey());
            legacyMembership(e.getValue(), out);
        }
        Varints.writeInt(out, legacyRechecks.size());
        for (Map.Entry<String, Long> e : legacyRechecks.entrySet()) {
            Varints.writeString(out, e.getKey());
            out.writeLong(e.getValue());
        }
    }

    /** Versions 4 to 9: rechecks row by row. */
    private static void readRechecksRowByRow(UserProfile p, DataInput in, long base)
            throws IOException {
        int rechecks = Varints.readInt(in);
        p.rechecks.reserve(Math.min(rechecks, 1 << 16)); // a count read, not yet trusted
        int ordinal = -1;
        for (int i = 0; i < rechecks; i++) {
            ordinal += Varints.readInt(in) + 1;
            p.rechecks.set(p.rechecks.upsert(ordinal), 0, base + Varints.readSigned(in));
        }
    }

    /** Versions 4 to 6: memberships row by row. */
    private static void readMembershipRows(UserProfile p, DataInput in, long base)
            throws IOException {
        int memberships = Varints.readInt(in);
        int ordinal = -1;
        for (int i = 0; i < memberships; i++) {
            ordinal += Varints.readInt(in) + 1;
            long segmentVersion = Varints.readUnsigned(in);
            long entered = base - Varints.readSigned(in);
            long exited = Varints.readSigned(in);
            p.putMembership(
                    ordinal,
                    segmentVersion,
                    entered,
                    exited == 0 ? Long.MIN_VALUE : base - exited + 1);
        }
    }

    public static UserProfile read(DataInput in) throws IOException {
        int version = in.readUnsignedByte();
        if (version < LEGACY || version > VERSION) {
            throw new IOException("unknown profile encoding version " + version);
        }
        boolean legacy = version == LEGACY;
        boolean relative = version > ABSOLUTE_TIMES;
        UserProfile p = new UserProfile();
        p.now = in.readLong();
        long base = base(p);
        p.floor = instant(in, base, relative);
        p.nextExpiry = instant(in, base, relative);
        p.lastEventTime = instant(in, base, relative);
        p.historySize = Varints.readInt(in);
        p.historyOldest = instant(in, base, relative);
        p.insertions = Varints.readUnsigned(in);
        p.scheduledWakeUp = instant(in, base, relative);
        int names = Varints.readInt(in);
        for (int i = 0; i < names; i++) {
            p.names.put(string(in, legacy), Varints.readInt(in));
        }
        int counters = Varints.readInt(in);
        for (int i = 0; i < counters; i++) {
            long id = in.readLong();
            p.counters.put(id, counter(in, legacy, base, relative));
        }
        if (version >= ABSOLUTE_TIMES) {
            if (version >= COLUMNS) {
                RowsCodec.readSection(p, in, base, version >= RUNS);
            } else {
                readMembershipRows(p, in, base);
            }
            if (version >= PACKED_RECHECKS) {
                RowsCodec.readRechecks(p.rechecks, in, base);
            } else {
                readRechecksRowByRow(p, in, base);
            }
        }
        int legacyMemberships = Varints.readInt(in);
        if (legacyMemberships > 0) {
            p.legacyMemberships = new HashMap<>();
        }
        for (int i = 0; i < legacyMemberships; i++) {
            p.legacyMemberships.put(string(in, legacy), legacyMembership(in));
        }
        int legacyRechecks = Varints.readInt(in);
        if (legacyMemberships > 0 || legacyRechecks > 0) {
            p.legacyRechecks = new HashMap<>();
            if (p.legacyMemberships == null) {
                p.legacyMemberships = new HashMap<>();
            }
        }
        for (int i = 0; i < legacyRechecks; i++) {
            p.legacyRechecks.put(string(in, legacy), in.readLong());
        }
        p.countersVersion = version >= BY_SEGMENT_ID ? Varints.readInt(in) : 1;
        p.definitionsEpoch = version >= EPOCHS ? Varints.readUnsigned(in) : 0;
        if (version >= CHUNKS) {
            readChunks(p, in);
        }
        return p;
    }

    /** Memberships and rechecks are stored relative to the user's now. */
    private static long base(UserProfile p) {
        return p.now == Long.MIN_VALUE ? 0 : p.now;
    }

    /** An instant as a distance from {@code base}, or the two "none" values, in a varint. */
    private static void instant(DataOutput out, long t, long base, boolean relative)
            throws IOException {
        if (!relative) {
            out.writeLong(t);
        } else if (t == Long.MIN_VALUE || t == Long.MAX_VALUE) {
            Varints.writeUnsigned(out, t == Long.MIN_VALUE ? 0 : 1);
        } else {
            long d = t - base;
            Varints.writeUnsigned(out, 2 + ((d << 1) ^ (d >> 63)));
        }
    }

    private static long instant(DataInput in, long base, boolean relative) throws IOException {
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

    /** A membership as versions 1 to 3 stored it (under its segment id). */
    static void legacyMembership(Membership m, DataOutput out) throws IOException {
        out.writeByte(m.status().ordinal());
        Varints.writeUnsigned(out, m.version());
        out.writeLong(m.enteredAt());
        Varints.writeSigned(out, m.lastQualifiedAt() - m.enteredAt());
        out.writeLong(m.exitedAt());
    }

    private static Membership legacyMembership(DataInput in) throws IOException {
        Membership.Status status = Membership.Status.values()[in.readUnsignedByte()];
        long v = Varints.readUnsigned(in);
        long entered = in.readLong();
        long last = entered + Varints.readSigned(in);
        long exited = in.readLong();
        return new Membership(status, v, entered, last, exited);
    }

    private static void counter(CounterState s, DataOutput out, long base, boolean relative)
            throws IOException {
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
        Varints.writeInt(out, n);
        out.writeByte(
                (values ? HAS_VALUES : 0) | (keys ? HAS_KEYS : 0) | (whole ? WHOLE_VALUES : 0));
        long prev = 0;
        for (int i = 0; i < n; i++) {
            long t = s.time(i);
            if (i == 0) {
                instant(out, t, base, relative);
            } else {
                Varints.writeUnsigned(out, t - prev);
            }
            prev = t;
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

    /** Whether {@code v} is written exactly as a long: a whole number, not -0, within 2^53. */
    private static boolean isWhole(double v) {
        return v == (long) v
                && Math.abs(v) <= 1L << 53
                && Double.doubleToRawLongBits(v) != Double.doubleToRawLongBits(-0.0);
    }

    private static CounterState counter(DataInput in, boolean legacy, long base, boolean relative)
            throws IOException {
        int n = Varints.readInt(in);
        int flags = in.readUnsignedByte();
        long[] times = new long[Math.max(n, 2)];
        double[] values = new double[Math.max(n, 2)];
        String[] keys = new String[Math.max(n, 2)];
        long prev = 0;
        for (int i = 0; i < n; i++) {
            long t = i == 0 ? instant(in, base, relative) : prev + Varints.readUnsigned(in);
            times[i] = t;
            prev = t;
            values[i] =
                    (flags & WHOLE_VALUES) != 0
                            ? Varints.readSigned(in)
                            : (flags & HAS_VALUES) != 0
                                    ? in.readDouble()
                                    : (flags & HAS_KEYS) != 0 ? 0 : 1;
            keys[i] = (flags & HAS_KEYS) != 0 ? string(in, legacy) : null;
        }
        return new CounterState(times, values, keys, n);
    }

    private static String string(DataInput in, boolean legacy) throws IOException {
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
