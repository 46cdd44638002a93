package io.cohortflow.core.eval;

import io.cohortflow.core.state.Varints;
import java.io.ByteArrayOutputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Map;

/**
 * Profiles in the encodings of earlier versions, for the tests that they are still read: versions 2
 * and 3 (memberships and rechecks under segment ids, as savepoints written before segment
 * ordinals), 6, 7, 9 and 10 (counters under their store's hash), 11 and 12.
 */
final class PreviousProfileCodec {
    private PreviousProfileCodec() {}

    /**
     * What versions 2 to 9 wrote first: clock, history bookkeeping, names, counters with their
     * times inline. With {@code relative} (version 5 on) every instant but the user's now is a
     * distance from it.
     */
    static void writeHead(UserProfile p, DataOutput out, boolean relative) throws IOException {
        out.writeLong(p.now);
        long base = ProfileCodec.base(p);
        ProfileCodec.instant(out, p.floor, base, relative);
        ProfileCodec.instant(out, p.nextExpiry, base, relative);
        ProfileCodec.instant(out, p.lastEventTime, base, relative);
        Varints.writeInt(out, p.historySize);
        ProfileCodec.instant(out, p.historyOldest, base, relative);
        Varints.writeUnsigned(out, p.insertions);
        ProfileCodec.instant(out, p.scheduledWakeUp, base, relative);
        Varints.writeInt(out, p.names.size());
        for (int i = 0; i < p.names.size(); i++) {
            Varints.writeString(out, p.names.name(i));
            Varints.writeInt(out, p.names.count(i));
        }
        Varints.writeInt(out, p.counters.size());
        for (int i = 0; i < p.counters.size(); i++) {
            out.writeLong(p.counters.key(i));
            CounterState s = p.counters.value(i);
            int n = s.size();
            boolean values = false;
            boolean keys = false;
            for (int e = 0; e < n; e++) {
                values |= s.value(e) != 1 && s.key(e) == null;
                keys |= s.key(e) != null;
            }
            Varints.writeInt(out, n);
            out.writeByte(
                    (values ? ProfileCodec.HAS_VALUES : 0) | (keys ? ProfileCodec.HAS_KEYS : 0));
            long prev = 0;
            for (int e = 0; e < n; e++) {
                long t = s.time(e);
                if (e == 0) {
                    ProfileCodec.instant(out, t, base, relative);
                } else {
                    Varints.writeUnsigned(out, t - prev);
                }
                prev = t;
                if (values) {
                    out.writeDouble(s.value(e));
                }
                if (keys) {
                    Varints.writeString(out, s.key(e));
                }
            }
        }
    }

    /** Rechecks as versions 4 to 9 wrote them: per row an ordinal gap and a distance from now. */
    static void writeRechecksRowByRow(UserProfile p, DataOutput out) throws IOException {
        long base = ProfileCodec.base(p);
        Varints.writeInt(out, p.rechecks.size());
        int previous = -1;
        for (int row = 0; row < p.rechecks.size(); row++) {
            Varints.writeInt(out, p.rechecks.ordinal(row) - previous - 1);
            previous = p.rechecks.ordinal(row);
            Varints.writeSigned(out, p.rechecks.get(row, 0) - base);
        }
    }

    /** {@code p} in encoding version 3, or 2 without the trailing counters version. */
    static byte[] write(UserProfile p, SegmentCatalog catalog, int version) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(version);
        writeHead(p, out, false);
        Map<String, Membership> memberships = p.memberships(catalog);
        Varints.writeInt(out, memberships.size());
        for (Map.Entry<String, Membership> e : memberships.entrySet()) {
            Varints.writeString(out, e.getKey());
            PreviousProfileFormats.legacyMembership(e.getValue(), out);
        }
        Varints.writeInt(out, p.rechecks.size());
        for (int row = 0; row < p.rechecks.size(); row++) {
            Varints.writeString(out, catalog.ordinals().idOf(p.rechecks.ordinal(row)));
            out.writeLong(p.rechecks.get(row, 0));
        }
        if (version == 3) {
            Varints.writeInt(out, p.countersVersion);
        }
        out.flush();
        return bytes.toByteArray();
    }

    /** {@code p} in encoding version 6: memberships row by row, times relative to now. */
    static byte[] writeRowByRow(UserProfile p) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(6);
        writeHead(p, out, true);
        long base = p.now == Long.MIN_VALUE ? 0 : p.now;
        OrdinalRows m = p.memberships.rows();
        Varints.writeInt(out, m.size());
        int previous = -1;
        for (int row = 0; row < m.size(); row++) {
            Varints.writeInt(out, m.ordinal(row) - previous - 1);
            previous = m.ordinal(row);
            Varints.writeUnsigned(out, m.get(row, MembershipRows.VERSION));
            Varints.writeSigned(out, base - m.get(row, MembershipRows.ENTERED));
            long exited = p.memberships.exitedAt(row);
            Varints.writeSigned(out, exited == Long.MIN_VALUE ? 0 : base - exited + 1);
        }
        return tail(p, out, bytes);
    }

    /**
     * {@code p} in encoding version 7: memberships by column, every ordinal as a gap and every
     * version on its own.
     */
    static byte[] writeColumns(UserProfile p) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(7);
        writeHead(p, out, true);
        long base = p.now == Long.MIN_VALUE ? 0 : p.now;
        OrdinalRows m = p.memberships.rows();
        int n = m.size();
        Varints.writeInt(out, n);
        int previous = -1;
        for (int row = 0; row < n; row++) {
            Varints.writeInt(out, m.ordinal(row) - previous - 1);
            previous = m.ordinal(row);
        }
        for (int row = 0; row < n; row++) {
            Varints.writeUnsigned(out, m.get(row, MembershipRows.VERSION));
        }
        long[] distinct =
                java.util.stream.LongStream.range(0, n)
                        .map(r -> base - m.get((int) r, MembershipRows.ENTERED))
                        .sorted()
                        .distinct()
                        .toArray();
        Varints.writeInt(out, distinct.length);
        long last = 0;
        for (long d : distinct) {
            Varints.writeSigned(out, d - last);
            last = d;
        }
        for (int r = 0; r < n; r++) {
            long d = base - m.get(r, MembershipRows.ENTERED);
            Varints.writeInt(out, java.util.Arrays.binarySearch(distinct, d));
        }
        RowsCodec.writeExits(p.memberships, out, base);
        return tail(p, out, bytes);
    }

    /**
     * {@code p}, whose history is the caller's (no chunks), in encoding version 9: rechecks row by
     * row.
     */
    static byte[] writeVersion9(UserProfile p) throws IOException {
        if (p.historyChunked()) {
            throw new IllegalArgumentException("a profile with chunks");
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(9);
        writeHead(p, out, true);
        // Memberships as versions 8 and 9 wrote them: a dictionary of their own entry instants.
        long base = ProfileCodec.base(p);
        RowsCodec.writeSection(p.memberships.rows(), out);
        InstantDictionary.Writer instants = InstantDictionary.writer();
        RowsCodec.addEntries(p.memberships.rows(), base, instants);
        instants.write(out);
        RowsCodec.writeEntries(p.memberships, base, instants, 0, out);
        tail(p, out, bytes);
        Varints.writeInt(out, 0); // no inline history
        out.flush();
        return bytes.toByteArray();
    }

    /**
     * {@code p} in encoding version 10: as version 11 but each counter under a 64-bit hash of its
     * store ({@code hashes}: store number to hash) rather than its number as a gap.
     */
    static byte[] writeVersion10(UserProfile p, java.util.function.LongUnaryOperator hashes)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(ProfileCodec.HASHED_STORES);
        long base = ProfileCodec.base(p);
        ProfileCodec.writeClock(p, out);
        writeUnmarkedNames(p, out);
        InstantDictionary.Writer instants = ProfileCodec.counterInstants(p, base);
        int entriesFrom = instants.used();
        RowsCodec.addEntries(p.memberships.rows(), base, instants);
        instants.write(out);
        Varints.writeInt(out, p.counters.size());
        for (int i = 0; i < p.counters.size(); i++) {
            out.writeLong(hashes.applyAsLong(p.counters.key(i)));
            ProfileCodec.counter(p.counters.value(i), out);
        }
        ProfileCodec.writeUses(instants, 0, entriesFrom, out);
        RowsCodec.writeSection(p.memberships.rows(), out);
        RowsCodec.writeEntries(p.memberships, base, instants, entriesFrom, out);
        RowsCodec.writeRechecks(p.rechecks, base, out);
        PreviousProfileFormats.writeUnnumbered(p, out);
        Varints.writeInt(out, UserProfile.HASHED_COUNTERS);
        Varints.writeUnsigned(out, p.definitionsEpoch);
        ChunksCodec.write(p, out);
        out.flush();
        return bytes.toByteArray();
    }

    /** What versions 6 to 9 write after the memberships: rechecks and the trailing fields. */
    private static byte[] tail(UserProfile p, DataOutputStream out, ByteArrayOutputStream bytes)
            throws IOException {
        writeRechecksRowByRow(p, out);
        Varints.writeInt(out, 0); // no legacy memberships
        Varints.writeInt(out, 0); // nor rechecks
        Varints.writeInt(out, p.countersVersion);
        Varints.writeUnsigned(out, p.definitionsEpoch);
        out.flush();
        return bytes.toByteArray();
    }

    /**
     * Version 11: the current encoding but for the open chunk's events, written one after the other
     * without their lengths.
     */
    static byte[] writeVersion11(UserProfile p) throws IOException {
        byte[] current = writeVersion12(p);
        io.cohortflow.core.state.ByteArrayDataOutput chunks =
                new io.cohortflow.core.state.ByteArrayDataOutput();
        ChunksCodec.write(p, chunks);
        io.cohortflow.core.state.ByteArrayDataOutput open =
                new io.cohortflow.core.state.ByteArrayDataOutput();
        Varints.writeInt(open, p.inlineHistory.size() + 1);
        p.inlineHistory.write(open);
        byte[] section = chunks.toByteArray();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        out.writeByte(ProfileCodec.EVENTS_UNSIZED);
        out.write(current, 1, current.length - 1 - section.length);
        Varints.writeInt(out, p.inlineHistory.size() + 1);
        for (io.cohortflow.core.event.Event e : p.inlineHistory.events()) {
            out.write(io.cohortflow.core.state.PreviousEventCodec.version2(e)); // as it wrote them
        }
        out.write(section, open.size(), section.length - open.size()); // the sealed chunks
        return b.toByteArray();
    }

    /**
     * Version 13: the current encoding but for the run of the visit marked (see {@link Visits#run})
     * and the counts of the visits ({@link VisitCounts}), which it did not write: a visit's key,
     * when there is one, follows the flag 1, and nothing follows it.
     */
    static byte[] writeVersion13(UserProfile p) throws IOException {
        p = ProfileCodec.fromBytes(ProfileCodec.toBytes(p));
        p.visits.run = -1;
        p.visits.counts.forget(); // written as one byte, the names section's last
        byte[] current = ProfileCodec.toBytes(p);
        int countsAt = namesEnd(p) - 1;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(ProfileCodec.RUNLESS);
        b.write(current, 1, countsAt - 1);
        b.write(current, countsAt + 1, current.length - countsAt - 1);
        return b.toByteArray();
    }

    /**
     * Version 12: the current encoding but for the visit, the names marked as of it (see {@link
     * Visits#marked}) and their newest times: each name's count as it is, no visit after the names,
     * no instants of theirs.
     */
    static byte[] writeVersion12(UserProfile p) throws IOException {
        // The current encoding of the profile with no newest times known has no instants of them.
        p = ProfileCodec.fromBytes(ProfileCodec.toBytes(p));
        for (int i = 0; i < p.names.size(); i++) {
            p.names.newest(i, NameCounts.UNKNOWN);
        }
        byte[] current = ProfileCodec.toBytes(p);
        int clock = clockSize(p);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(b);
        out.writeByte(ProfileCodec.UNMARKED);
        out.write(current, 1, clock);
        writeUnmarkedNames(p, out);
        int rest = namesEnd(p);
        out.write(current, rest, current.length - rest);
        return b.toByteArray();
    }

    /** The bytes of the current encoding's clock, after the version byte. */
    private static int clockSize(UserProfile p) throws IOException {
        io.cohortflow.core.state.ByteArrayDataOutput clock =
                new io.cohortflow.core.state.ByteArrayDataOutput();
        ProfileCodec.writeClock(p, clock);
        return clock.size();
    }

    /** Where the current encoding's names section ends: the version byte, the clock, the names. */
    private static int namesEnd(UserProfile p) throws IOException {
        io.cohortflow.core.state.ByteArrayDataOutput names =
                new io.cohortflow.core.state.ByteArrayDataOutput();
        NamesCodec.write(p, names);
        return 1 + clockSize(p) + names.size();
    }

    /** The names as versions 10 to 12 wrote them: counts as they are, and no visit after them. */
    private static void writeUnmarkedNames(UserProfile p, DataOutput out) throws IOException {
        Varints.writeInt(out, p.names.size());
        String previous = "";
        for (int i = 0; i < p.names.size(); i++) {
            String name = p.names.name(i);
            int shared = NamesCodec.sharedPrefix(previous, name);
            Varints.writeInt(out, shared);
            Varints.writeString(out, name, shared);
            Varints.writeInt(out, p.names.count(i));
            previous = name;
        }
    }
}
