package io.cohortflow.core.eval;

import io.cohortflow.core.state.Varints;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * Changes to a user's membership rows, in the order they were made: one entry of a {@link
 * MembershipLog}. Replaying every entry of a log in order onto no rows gives the user's rows; a
 * compacted log is one entry that enters (and exits) each row held.
 */
public final class MembershipOps {
    /** A segment entered: version, entered at {@code at}, a member. */
    static final int ENTER = 0;

    /** A member left at {@code at}, under {@code version}; the entry instant stays. */
    static final int EXIT = 1;

    /** A member's segment version moved (its definition changed, the answer did not). */
    static final int VERSION = 2;

    /** The rows of former members that exited {@code version} (a horizon) before {@code at} go. */
    static final int DROP_EXITED = 3;

    /** A row goes (its segment is no longer live). */
    static final int REMOVE = 4;

    private byte[] kinds = new byte[8];
    private int[] ordinals = new int[8];
    private long[] versions = new long[8];
    private long[] instants = new long[8];
    private int size;

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    void add(int kind, int ordinal, long version, long at) {
        if (size == kinds.length) {
            int n = size * 2;
            kinds = Arrays.copyOf(kinds, n);
            ordinals = Arrays.copyOf(ordinals, n);
            versions = Arrays.copyOf(versions, n);
            instants = Arrays.copyOf(instants, n);
        }
        kinds[size] = (byte) kind;
        ordinals[size] = ordinal;
        versions[size] = version;
        instants[size] = at;
        size++;
    }

    public MembershipOps copy() {
        MembershipOps c = new MembershipOps();
        for (int i = 0; i < size; i++) {
            c.add(kinds[i], ordinals[i], versions[i], instants[i]);
        }
        return c;
    }

    /** The entry that enters (and exits) every row of {@code rows}: a compacted log. */
    static MembershipOps of(OrdinalRows rows) {
        MembershipOps ops = new MembershipOps();
        for (int row = 0; row < rows.size(); row++) {
            int ordinal = rows.ordinal(row);
            long version = rows.get(row, UserProfile.VERSION);
            ops.add(ENTER, ordinal, version, rows.get(row, UserProfile.ENTERED));
            long exited = rows.get(row, UserProfile.EXITED);
            if (exited != Long.MIN_VALUE) {
                ops.add(EXIT, ordinal, version, exited);
            }
        }
        return ops;
    }

    /** Replays these changes onto {@code rows}, as the profile made them. */
    void applyTo(OrdinalRows rows) {
        for (int i = 0; i < size; i++) {
            int ordinal = ordinals[i];
            switch (kinds[i]) {
                case ENTER -> {
                    int row = rows.upsert(ordinal);
                    rows.set(row, UserProfile.VERSION, versions[i]);
                    rows.set(row, UserProfile.ENTERED, instants[i]);
                    rows.set(row, UserProfile.EXITED, Long.MIN_VALUE);
                }
                case EXIT -> {
                    int row = existing(rows, ordinal);
                    rows.set(row, UserProfile.VERSION, versions[i]);
                    rows.set(row, UserProfile.EXITED, instants[i]);
                }
                case VERSION -> rows.set(existing(rows, ordinal), UserProfile.VERSION, versions[i]);
                case DROP_EXITED -> {
                    long now = instants[i];
                    long horizon = versions[i];
                    rows.removeIf(row -> UserProfile.exitedBy(rows, row, now, horizon));
                }
                case REMOVE -> {
                    int row = rows.find(ordinal);
                    if (row >= 0) {
                        rows.removeAt(row);
                    }
                }
                default -> throw new IllegalStateException("membership change kind " + kinds[i]);
            }
        }
    }

    private static int existing(OrdinalRows rows, int ordinal) {
        int row = rows.find(ordinal);
        if (row < 0) {
            // The log names a row it never entered: the user's stored details are inconsistent,
            // which the record's dead letter reports (the job goes on).
            throw new IllegalStateException(
                    "membership log changes segment ordinal "
                            + ordinal
                            + ", which it never entered");
        }
        return row;
    }

    /**
     * The binary form: how many changes, then per change its kind, its ordinal (but for {@link
     * #DROP_EXITED}), its version (the horizon for {@link #DROP_EXITED}; none for {@link #REMOVE})
     * and its instant as a distance from the previous change's (none for {@link #VERSION} and
     * {@link #REMOVE}).
     */
    public void write(DataOutput out) throws IOException {
        Varints.writeInt(out, size);
        long previous = 0;
        for (int i = 0; i < size; i++) {
            int kind = kinds[i];
            out.writeByte(kind);
            if (kind != DROP_EXITED) {
                Varints.writeInt(out, ordinals[i]);
            }
            if (kind != REMOVE) {
                Varints.writeUnsigned(out, versions[i]);
            }
            if (kind == ENTER || kind == EXIT || kind == DROP_EXITED) {
                Varints.writeSigned(out, instants[i] - previous);
                previous = instants[i];
            }
        }
    }

    public static MembershipOps read(DataInput in) throws IOException {
        int n = Varints.readInt(in);
        MembershipOps ops = new MembershipOps();
        long previous = 0;
        for (int i = 0; i < n; i++) {
            int kind = in.readUnsignedByte();
            if (kind > REMOVE) {
                throw new IOException("unknown membership change kind " + kind);
            }
            int ordinal = kind == DROP_EXITED ? 0 : Varints.readInt(in);
            long version = kind == REMOVE ? 0 : Varints.readUnsigned(in);
            long at = 0;
            if (kind == ENTER || kind == EXIT || kind == DROP_EXITED) {
                at = previous + Varints.readSigned(in);
                previous = at;
            }
            ops.add(kind, ordinal, version, at);
        }
        return ops;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MembershipOps m
                && size == m.size
                && Arrays.equals(kinds, 0, size, m.kinds, 0, size)
                && Arrays.equals(ordinals, 0, size, m.ordinals, 0, size)
                && Arrays.equals(versions, 0, size, m.versions, 0, size)
                && Arrays.equals(instants, 0, size, m.instants, 0, size);
    }

    @Override
    public int hashCode() {
        return 31 * size + Arrays.hashCode(Arrays.copyOf(ordinals, size));
    }
}
