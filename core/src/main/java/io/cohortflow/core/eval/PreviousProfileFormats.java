package io.cohortflow.core.eval;

import io.cohortflow.core.state.Varints;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads the profiles that versions 1 to 9 of {@link ProfileCodec} wrote: state restored from an
 * older checkpoint or savepoint is read as it was written and written back in the current form, but
 * for its counters, keyed by hash: rebuilt from the history on first use. Also the memberships of a
 * version 3 profile no catalog has numbered yet, which the current form carries until the engine's
 * next use of the profile moves them under ordinals.
 */
final class PreviousProfileFormats {
    /** Version 1 wrote strings with {@code writeUTF}, at most 65 535 bytes. */
    private static final int LEGACY = 1;

    /**
     * Version 3 keyed memberships and rechecks by segment id, as did version 2, which had no
     * counters version either (its counters were compiled by engine v1).
     */
    private static final int BY_SEGMENT_ID = 3;

    /** Version 4 wrote the clock fields and each counter's first time as raw longs. */
    private static final int ABSOLUTE_TIMES = 4;

    /** Version 5 had no definitions epoch (read as 0: brought up to date on first use). */
    private static final int EPOCHS = 6;

    /** Version 6 wrote memberships row by row (gap, version, entered, exited). */
    private static final int COLUMNS = 7;

    /** Version 7 wrote every membership's ordinal as a gap and every version on its own. */
    private static final int RUNS = 8;

    /** Version 8 had no history chunks (its history is the caller's, per event). */
    private static final int CHUNKS = 9;

    private PreviousProfileFormats() {}

    /**
     * A profile of version {@code version}, whose first byte was read. Versions 1 to 9 wrote each
     * counter's times inline (the first as an instant, the rest as gaps) and, from 4 on, each
     * recheck as an ordinal gap and a distance from now.
     */
    static UserProfile read(int version, DataInput in) throws IOException {
        if (io.cohortflow.core.state.NewerEncodingException.laterBuild(
                version, ProfileCodec.VERSION)) {
            throw new io.cohortflow.core.state.NewerEncodingException(
                    "a profile", version, ProfileCodec.VERSION);
        }
        if (version < LEGACY || version >= ProfileCodec.HASHED_STORES) {
            throw new IOException("unknown profile encoding version " + version);
        }
        boolean legacy = version == LEGACY;
        boolean relative = version > ABSOLUTE_TIMES;
        UserProfile p = new UserProfile();
        p.visits.counts.forget(); // until read (version 14 on) or counted from the history
        ProfileCodec.readClock(p, in, relative);
        long base = ProfileCodec.base(p);
        NamesCodec.readWhole(p, in, legacy);
        int counters = Varints.readInt(in);
        for (int i = 0; i < counters; i++) {
            long id = in.readLong();
            p.counters.put(id, counter(in, legacy, base, relative));
        }
        if (version >= ABSOLUTE_TIMES) {
            if (version >= COLUMNS) {
                RowsCodec.readSection(
                        p,
                        in,
                        base,
                        version >= RUNS ? RowsCodec.Format.PACKED : RowsCodec.Format.COLUMNS,
                        null);
            } else {
                readMembershipRows(p, in, base);
            }
            readRechecksRowByRow(p, in, base);
        }
        readUnnumbered(p, in, legacy);
        p.countersVersion = version >= BY_SEGMENT_ID ? Varints.readInt(in) : 1;
        p.definitionsEpoch = version >= EPOCHS ? Varints.readUnsigned(in) : 0;
        if (version >= CHUNKS) {
            ChunksCodec.read(p, in, false);
        }
        ProfileCodec.dropHashedCounters(p);
        return p;
    }

    /** Rechecks row by row (versions 4 to 9). */
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

    /** Memberships row by row (versions 4 to 6). */
    private static void readMembershipRows(UserProfile p, DataInput in, long base)
            throws IOException {
        int memberships = Varints.readInt(in);
        int ordinal = -1;
        for (int i = 0; i < memberships; i++) {
            ordinal += Varints.readInt(in) + 1;
            long segmentVersion = Varints.readUnsigned(in);
            long entered = base - Varints.readSigned(in);
            long exited = Varints.readSigned(in);
            p.memberships.put(
                    ordinal,
                    segmentVersion,
                    entered,
                    exited == 0 ? Long.MIN_VALUE : base - exited + 1);
        }
    }

    /** A counter with its times inline. */
    static CounterState counter(DataInput in, boolean legacy, long base, boolean relative)
            throws IOException {
        int n = ProfileCodec.entryCount(Varints.readInt(in));
        int flags = in.readUnsignedByte();
        long[] entries = CounterState.entries(n);
        String[] keys = new String[Math.max(n, 2)];
        long prev = 0;
        for (int i = 0; i < n; i++) {
            long t =
                    i == 0
                            ? ProfileCodec.instant(in, base, relative)
                            : prev + Varints.readUnsigned(in);
            prev = t;
            CounterState.setDecoded(entries, i, t, ProfileCodec.value(in, flags));
            keys[i] = (flags & ProfileCodec.HAS_KEYS) != 0 ? ProfileCodec.string(in, legacy) : null;
        }
        return new CounterState(entries, keys, n);
    }

    /**
     * Memberships and rechecks of a version 3 profile that no catalog has numbered yet (read with
     * no catalog at hand, kept until the engine's next use of the profile).
     */
    static void writeUnnumbered(UserProfile p, DataOutput out) throws IOException {
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

    static void readUnnumbered(UserProfile p, DataInput in, boolean legacy) throws IOException {
        int legacyMemberships = Varints.readInt(in);
        if (legacyMemberships > 0) {
            p.legacyMemberships = new HashMap<>();
        }
        for (int i = 0; i < legacyMemberships; i++) {
            p.legacyMemberships.put(ProfileCodec.string(in, legacy), legacyMembership(in));
        }
        int legacyRechecks = Varints.readInt(in);
        if (legacyMemberships > 0 || legacyRechecks > 0) {
            p.legacyRechecks = new HashMap<>();
            if (p.legacyMemberships == null) {
                p.legacyMemberships = new HashMap<>();
            }
        }
        for (int i = 0; i < legacyRechecks; i++) {
            p.legacyRechecks.put(ProfileCodec.string(in, legacy), in.readLong());
        }
    }

    /** A membership as versions 1 to 3 stored it (under its segment id). */
    static void legacyMembership(Membership m, DataOutput out) throws IOException {
        out.writeByte(m.status().ordinal());
        Varints.writeUnsigned(out, m.version());
        out.writeLong(m.enteredAt());
        Varints.writeSigned(out, m.lastQualifiedAt() - m.enteredAt());
        out.writeLong(m.exitedAt());
    }

    static Membership legacyMembership(DataInput in) throws IOException {
        Membership.Status status = Membership.Status.values()[in.readUnsignedByte()];
        long v = Varints.readUnsigned(in);
        long entered = in.readLong();
        long last = entered + Varints.readSigned(in);
        long exited = in.readLong();
        return new Membership(status, v, entered, last, exited);
    }
}
