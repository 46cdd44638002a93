package io.cohortflow.core.eval;

import io.cohortflow.core.state.Varints;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The compact binary form of a {@link UserProfile}: counter entries as delta-encoded varint times,
 * values only for sums, keys only for distinct counts. Versioned by its first byte. The job's Flink
 * serializer delegates here, so no Kryo is involved.
 */
public final class ProfileCodec {
    /** Version 1 wrote strings with {@code writeUTF}, at most 65 535 bytes; still read. */
    private static final int LEGACY = 1;

    private static final int VERSION = 3;

    /** Version 2 had no counters version: its counters were compiled by engine v1. */
    private static final int WITHOUT_COUNTERS_VERSION = 2;

    private static final int HAS_VALUES = 1;
    private static final int HAS_KEYS = 2;

    private ProfileCodec() {}

    public static void write(UserProfile p, DataOutput out) throws IOException {
        out.writeByte(VERSION);
        out.writeLong(p.now);
        out.writeLong(p.floor);
        out.writeLong(p.nextExpiry);
        out.writeLong(p.lastEventTime);
        Varints.writeInt(out, p.historySize);
        out.writeLong(p.historyOldest);
        Varints.writeUnsigned(out, p.insertions);
        out.writeLong(p.scheduledWakeUp);
        Varints.writeInt(out, p.names.size());
        for (Map.Entry<String, Integer> e : p.names.entrySet()) {
            Varints.writeString(out, e.getKey());
            Varints.writeInt(out, e.getValue());
        }
        Varints.writeInt(out, p.counters.size());
        for (Map.Entry<Long, CounterState> e : p.counters.entrySet()) {
            out.writeLong(e.getKey());
            counter(e.getValue(), out);
        }
        Varints.writeInt(out, p.memberships.size());
        for (Map.Entry<String, Membership> e : p.memberships.entrySet()) {
            Membership m = e.getValue();
            Varints.writeString(out, e.getKey());
            out.writeByte(m.status().ordinal());
            Varints.writeUnsigned(out, m.version());
            out.writeLong(m.enteredAt());
            Varints.writeSigned(out, m.lastQualifiedAt() - m.enteredAt());
            out.writeLong(m.exitedAt());
        }
        Varints.writeInt(out, p.rechecks.size());
        for (Map.Entry<String, Long> e : p.rechecks.entrySet()) {
            Varints.writeString(out, e.getKey());
            out.writeLong(e.getValue());
        }
        Varints.writeInt(out, p.countersVersion);
    }

    public static UserProfile read(DataInput in) throws IOException {
        int version = in.readUnsignedByte();
        if (version != VERSION && version != WITHOUT_COUNTERS_VERSION && version != LEGACY) {
            throw new IOException("unknown profile encoding version " + version);
        }
        boolean legacy = version == LEGACY;
        UserProfile p = new UserProfile();
        p.now = in.readLong();
        p.floor = in.readLong();
        p.nextExpiry = in.readLong();
        p.lastEventTime = in.readLong();
        p.historySize = Varints.readInt(in);
        p.historyOldest = in.readLong();
        p.insertions = Varints.readUnsigned(in);
        p.scheduledWakeUp = in.readLong();
        int names = Varints.readInt(in);
        for (int i = 0; i < names; i++) {
            p.names.put(string(in, legacy), Varints.readInt(in));
        }
        int counters = Varints.readInt(in);
        for (int i = 0; i < counters; i++) {
            long id = in.readLong();
            p.counters.put(id, counter(in, legacy));
        }
        int memberships = Varints.readInt(in);
        Membership.Status[] statuses = Membership.Status.values();
        for (int i = 0; i < memberships; i++) {
            String id = string(in, legacy);
            Membership.Status status = statuses[in.readUnsignedByte()];
            long v = Varints.readUnsigned(in);
            long entered = in.readLong();
            long last = entered + Varints.readSigned(in);
            long exited = in.readLong();
            p.memberships.put(id, new Membership(status, v, entered, last, exited));
        }
        int rechecks = Varints.readInt(in);
        for (int i = 0; i < rechecks; i++) {
            p.rechecks.put(string(in, legacy), in.readLong());
        }
        p.countersVersion = version == VERSION ? Varints.readInt(in) : 1;
        return p;
    }

    private static void counter(CounterState s, DataOutput out) throws IOException {
        int n = s.size();
        boolean values = false;
        boolean keys = false;
        for (int i = 0; i < n; i++) {
            values |= s.value(i) != 1 && s.key(i) == null;
            keys |= s.key(i) != null;
        }
        Varints.writeInt(out, n);
        out.writeByte((values ? HAS_VALUES : 0) | (keys ? HAS_KEYS : 0));
        long prev = 0;
        for (int i = 0; i < n; i++) {
            long t = s.time(i);
            if (i == 0) {
                out.writeLong(t);
            } else {
                Varints.writeUnsigned(out, t - prev);
            }
            prev = t;
            if (values) {
                out.writeDouble(s.value(i));
            }
            if (keys) {
                Varints.writeString(out, s.key(i));
            }
        }
    }

    private static CounterState counter(DataInput in, boolean legacy) throws IOException {
        int n = Varints.readInt(in);
        int flags = in.readUnsignedByte();
        long[] times = new long[Math.max(n, 2)];
        double[] values = new double[Math.max(n, 2)];
        String[] keys = new String[Math.max(n, 2)];
        long prev = 0;
        for (int i = 0; i < n; i++) {
            long t = i == 0 ? in.readLong() : prev + Varints.readUnsigned(in);
            times[i] = t;
            prev = t;
            values[i] =
                    (flags & HAS_VALUES) != 0 ? in.readDouble() : (flags & HAS_KEYS) != 0 ? 0 : 1;
            keys[i] = (flags & HAS_KEYS) != 0 ? string(in, legacy) : null;
        }
        return new CounterState(times, values, keys, n);
    }

    private static String string(DataInput in, boolean legacy) throws IOException {
        return legacy ? in.readUTF() : Varints.readString(in);
    }

    /** Convenience for tests and size reports. */
    public static byte[] toBytes(UserProfile p) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            write(p, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static UserProfile fromBytes(byte[] b) {
        try {
            return read(new DataInputStream(new ByteArrayInputStream(b)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
