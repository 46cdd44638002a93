package io.cohortflow.core.eval;

import io.cohortflow.core.state.ByteArrayDataOutput;
import io.cohortflow.core.state.Varints;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * What a profile's encoded bytes ({@link ProfileCodec}) are made of, for the benchmarks' reports
 * and for sizing: each part as the bytes the profile would take without it (parts share the
 * profile's dictionary of instants, so they add up to a little less than the whole).
 *
 * @param total the whole profile
 * @param counters the counters, their ids included
 * @param counterIds the counters' ids alone (store numbers as gaps, a byte each for most)
 * @param memberships the membership rows
 * @param rechecks the rechecks of history-evaluated segments
 * @param eventNames the per-name event counts, and the visit whose names are marked
 * @param openChunk the history's open chunk (the newest events, when the profile holds them)
 */
public record ProfileSizes(
        int total,
        int counters,
        int counterIds,
        int memberships,
        int rechecks,
        int eventNames,
        int openChunk) {

    public static ProfileSizes of(UserProfile p) {
        byte[] bytes = ProfileCodec.toBytes(p);
        int total = bytes.length;
        UserProfile q = ProfileCodec.fromBytes(bytes);
        int ids = 0;
        long previous = -1;
        for (int i = 0; i < q.counters.size(); i++) {
            ids += Varints.sizeOfUnsigned(q.counters.key(i) - previous - 1);
            previous = q.counters.key(i);
        }
        q.counters.clear();
        int counters = total - ProfileCodec.toBytes(q).length;
        q = ProfileCodec.fromBytes(bytes);
        q.memberships.removeIf(row -> true);
        int memberships = total - ProfileCodec.toBytes(q).length;
        q = ProfileCodec.fromBytes(bytes);
        q.rechecks.removeIf(row -> true);
        int rechecks = total - ProfileCodec.toBytes(q).length;
        q = ProfileCodec.fromBytes(bytes);
        int open = 0;
        if (q.inlineHistory != null) {
            q.inlineHistory = new EventChunk();
            open = total - ProfileCodec.toBytes(q).length;
        }
        return new ProfileSizes(total, counters, ids, memberships, rechecks, namesBytes(p), open);
    }

    private static int namesBytes(UserProfile p) {
        ByteArrayDataOutput out = new ByteArrayDataOutput(256);
        try {
            NamesCodec.write(p, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.size();
    }

    /** The parts summed over many profiles, divided by {@code n}: an average profile. */
    public static ProfileSizes average(Iterable<UserProfile> profiles) {
        long[] sum = new long[7];
        int n = 0;
        for (UserProfile p : profiles) {
            ProfileSizes s = of(p);
            sum[0] += s.total;
            sum[1] += s.counters;
            sum[2] += s.counterIds;
            sum[3] += s.memberships;
            sum[4] += s.rechecks;
            sum[5] += s.eventNames;
            sum[6] += s.openChunk;
            n++;
        }
        int d = Math.max(n, 1);
        return new ProfileSizes(
                (int) (sum[0] / d),
                (int) (sum[1] / d),
                (int) (sum[2] / d),
                (int) (sum[3] / d),
                (int) (sum[4] / d),
                (int) (sum[5] / d),
                (int) (sum[6] / d));
    }

    @Override
    public String toString() {
        return String.format(
                "%d bytes: counters %d (ids %d), memberships %d, rechecks %d, event names %d,"
                        + " open chunk %d",
                total, counters, counterIds, memberships, rechecks, eventNames, openChunk);
    }
}
