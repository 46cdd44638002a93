package io.cohortflow.core.eval;

import io.cohortflow.core.state.Varints;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Map;

/**
 * Profiles as savepoints written before segment ordinals hold them (encoding versions 2 and 3:
 * memberships and rechecks under segment ids), for the tests of their upgrade.
 */
final class PreviousProfileCodec {
    private PreviousProfileCodec() {}

    /** {@code p} in encoding version 3, or 2 without the trailing counters version. */
    static byte[] write(UserProfile p, SegmentCatalog catalog, int version) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(version);
        ProfileCodec.writeHead(p, out, false);
        Map<String, Membership> memberships = p.memberships(catalog);
        Varints.writeInt(out, memberships.size());
        for (Map.Entry<String, Membership> e : memberships.entrySet()) {
            Varints.writeString(out, e.getKey());
            ProfileCodec.legacyMembership(e.getValue(), out);
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
        ProfileCodec.writeHead(p, out, true);
        long base = p.now == Long.MIN_VALUE ? 0 : p.now;
        OrdinalRows m = p.memberships;
        Varints.writeInt(out, m.size());
        int previous = -1;
        for (int row = 0; row < m.size(); row++) {
            Varints.writeInt(out, m.ordinal(row) - previous - 1);
            previous = m.ordinal(row);
            Varints.writeUnsigned(out, m.get(row, UserProfile.VERSION));
            Varints.writeSigned(out, base - m.get(row, UserProfile.ENTERED));
            long exited = m.get(row, UserProfile.EXITED);
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
        ProfileCodec.writeHead(p, out, true);
        long base = p.now == Long.MIN_VALUE ? 0 : p.now;
        OrdinalRows m = p.memberships;
        int n = m.size();
        Varints.writeInt(out, n);
        int previous = -1;
        for (int row = 0; row < n; row++) {
            Varints.writeInt(out, m.ordinal(row) - previous - 1);
            previous = m.ordinal(row);
        }
        for (int row = 0; row < n; row++) {
            Varints.writeUnsigned(out, m.get(row, UserProfile.VERSION));
        }
        long[] distinct =
                java.util.stream.LongStream.range(0, n)
                        .map(r -> base - m.get((int) r, UserProfile.ENTERED))
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
            long d = base - m.get(r, UserProfile.ENTERED);
            Varints.writeInt(out, java.util.Arrays.binarySearch(distinct, d));
        }
        RowsCodec.writeExits(m, out, base);
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
        ProfileCodec.writeHead(p, out, true);
        RowsCodec.writeSection(p.memberships, p.now == Long.MIN_VALUE ? 0 : p.now, out);
        tail(p, out, bytes);
        Varints.writeInt(out, 0); // no inline history
        out.flush();
        return bytes.toByteArray();
    }

    /** What versions 6 to 9 write after the memberships: rechecks and the trailing fields. */
    private static byte[] tail(UserProfile p, DataOutputStream out, ByteArrayOutputStream bytes)
            throws IOException {
        ProfileCodec.writeRechecksRowByRow(p, out);
        Varints.writeInt(out, 0); // no legacy memberships
        Varints.writeInt(out, 0); // nor rechecks
        Varints.writeInt(out, p.countersVersion);
        Varints.writeUnsigned(out, p.definitionsEpoch);
        out.flush();
        return bytes.toByteArray();
    }
}
