package io.cohortflow.core.eval;

import io.cohortflow.core.state.Varints;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The names section of {@link ProfileCodec}: the user's event names ({@link NameCounts}) with their
 * counts, marks of the current visit and newest times, and the visit ({@link Visits#marked}). The
 * newest times are instants of the profile's dictionary ({@link InstantDictionary}), which is
 * written after the names: their indices follow the memberships'.
 */
final class NamesCodec {
    private NamesCodec() {}

    /**
     * The per-name event counts (version 10 on): each name as the length of the prefix it shares
     * with the name before and the rest, then its count. Names are held sorted ({@link
     * NameCounts}), so {@code page.scroll} after {@code page.view} costs its last six characters.
     * Version 13 on: the count times 8, plus 4 for a name marked as of the visit, plus what its
     * newest time is ({@link #timeKind}: an instant of the profile's dictionary, its index written
     * after the memberships'; not known; none visible), and the visit after the names (a 0, or a 1
     * and its key). Version 14 on: a 2 and the visit's key and run ({@link Visits#run}) for a visit
     * whose run is known, and the stored events per visit ({@link VisitCounts}).
     */
    static void write(UserProfile p, DataOutput out) throws IOException {
        Varints.writeInt(out, p.names.size());
        String previous = "";
        for (int i = 0; i < p.names.size(); i++) {
            String name = p.names.name(i);
            int shared = sharedPrefix(previous, name);
            Varints.writeInt(out, shared);
            Varints.writeString(out, name, shared);
            Varints.writeInt(
                    out,
                    p.names.count(i) << 3
                            | (p.names.marked(i) ? 4 : 0)
                            | timeKind(p.names.newest(i)));
            previous = name;
        }
        if (p.visits.marked == null) {
            out.writeByte(NO_VISIT);
        } else if (p.visits.run < 0) {
            out.writeByte(VISIT);
            Varints.writeString(out, p.visits.marked);
        } else {
            out.writeByte(VISIT_RUN);
            Varints.writeString(out, p.visits.marked);
            Varints.writeInt(out, p.visits.run);
        }
        p.visits.counts.write(out);
    }

    /** The characters {@code b} shares with the start of {@code a}, never half a surrogate pair. */
    static int sharedPrefix(String a, String b) {
        int n = Math.min(a.length(), b.length());
        int i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) {
            i++;
        }
        if (i > 0 && Character.isHighSurrogate(b.charAt(i - 1))) {
            i--;
        }
        return i;
    }

    /** How a name's newest time is written (see {@link #write}). */
    private static int timeKind(long newest) {
        return newest == NameCounts.UNKNOWN
                ? UNKNOWN_TIME
                : newest == Long.MIN_VALUE ? NO_TIME : TIMED;
    }

    private static final int NO_VISIT = 0;
    private static final int VISIT = 1;
    private static final int VISIT_RUN = 2;

    private static final int TIMED = 0;
    private static final int UNKNOWN_TIME = 1;
    private static final int NO_TIME = 2;

    /**
     * Reads what {@link #write} wrote in {@code version} (10 on). Returns, for version 13 on, which
     * names' newest times are instants of the dictionary, read after it.
     */
    static boolean @Nullable [] read(UserProfile p, DataInput in, int version) throws IOException {
        boolean current = version > ProfileCodec.UNMARKED;
        int names = Varints.readInt(in);
        boolean[] timed = new boolean[Math.min(Math.max(names, 0), 1 << 16)];
        String previous = "";
        for (int i = 0; i < names; i++) {
            int shared = Varints.readInt(in);
            if (shared < 0 || shared > previous.length()) {
                throw new IOException(
                        "a name sharing " + shared + " characters with \"" + previous + "\"");
            }
            String rest = Varints.readString(in);
            String name = shared == 0 ? rest : previous.substring(0, shared) + rest;
            int count = Varints.readInt(in);
            if (current) {
                p.names.put(name, count >>> 3, (count & 4) != 0);
                int kind = count & 3;
                if (kind == NO_TIME) {
                    p.names.newest(i, Long.MIN_VALUE);
                } else if (kind == TIMED) {
                    if (i >= timed.length) {
                        timed = Arrays.copyOf(timed, i * 2);
                    }
                    timed[i] = true;
                } else if (kind != UNKNOWN_TIME) {
                    throw new IOException("a name's time of kind " + kind);
                }
            } else {
                p.names.put(name, count, false);
            }
            previous = name;
        }
        if (!current) {
            return null;
        }
        int visit = in.readUnsignedByte();
        if (visit > (version > ProfileCodec.RUNLESS ? VISIT_RUN : VISIT)) {
            throw new IOException("a visit flag of " + visit);
        }
        p.visits.marked = visit == NO_VISIT ? null : Varints.readString(in);
        if (visit == VISIT_RUN) {
            p.visits.run = Varints.readInt(in);
            if (p.visits.run < 0) {
                throw new IOException("a visit's run of " + p.visits.run + " events");
            }
        }
        if (version > ProfileCodec.RUNLESS) {
            p.visits.counts.read(in, version);
            if (p.visits.counts.known() && p.visits.counts.total() != p.historySize) {
                // Not the history's counts (damaged bytes): a count too low would mark a visit
                // with less than it holds. Counted again at the next read of the history.
                p.visits.counts.forget();
            }
        }
        return Arrays.copyOf(timed, p.names.size());
    }

    /** The per-name event counts as versions 1 to 9 wrote them: each name whole. */
    static void readWhole(UserProfile p, DataInput in, boolean legacy) throws IOException {
        int names = Varints.readInt(in);
        for (int i = 0; i < names; i++) {
            p.names.put(ProfileCodec.string(in, legacy), Varints.readInt(in), false);
        }
    }

    /** Adds the newest times the names section says are instants to the profile's dictionary. */
    static void addTimes(UserProfile p, long base, InstantDictionary.Writer instants) {
        for (int i = 0; i < p.names.size(); i++) {
            if (timeKind(p.names.newest(i)) == TIMED) {
                instants.add(base - p.names.newest(i));
            }
        }
    }

    /**
     * Reads the newest times of the {@code timed} names (see {@link #read}) as {@code instants}.
     */
    static void readTimes(UserProfile p, DataInput in, long base, long[] instants, boolean[] timed)
            throws IOException {
        InstantDictionary.Bits bits =
                new InstantDictionary.Bits(InstantDictionary.width(instants.length));
        for (int i = 0; i < timed.length; i++) {
            if (timed[i]) {
                p.names.newest(i, base - instants[bits.read(in, instants.length)]);
            }
        }
    }
}
