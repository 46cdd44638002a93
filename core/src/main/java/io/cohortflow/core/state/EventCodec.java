package io.cohortflow.core.state;

import io.cohortflow.core.event.Event;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The compact binary form of an event in user state: tagged property values, integral numbers as
 * varints. Versioned by its first byte so stored state can evolve: version 1 wrote strings with
 * {@code writeUTF} (at most 65 535 bytes) and is still read; version 2 writes length-prefixed UTF-8
 * of any length; version 3 writes the properties' length before them.
 *
 * <p>An event read back from state ({@link #readStored}) keeps its properties as their encoding
 * until one is asked for: a read of a user's history decodes every stored event, and most are
 * passed over for their name or visit before any property is looked at. Their length lets the read
 * take them as one block; version 2's had to be walked value by value to find their end, which was
 * most of a history read's decoding for users of a thousand events.
 */
public final class EventCodec {
    private static final int LEGACY = 1;
    private static final int UNSIZED = 2;
    private static final int VERSION = 3;
    private static final int NULL = 0;
    private static final int STRING = 1;
    private static final int INTEGRAL = 2;
    private static final int DOUBLE = 3;
    private static final int TRUE = 4;
    private static final int FALSE = 5;
    private static final int LIST = 6;
    private static final int MAP = 7;

    private EventCodec() {}

    public static void write(Event e, DataOutput out) throws IOException {
        out.writeByte(VERSION);
        Varints.writeString(out, e.name());
        out.writeLong(e.time());
        nullableString(e.viewId(), out);
        nullableString(e.sessionId(), out);
        if (e.properties() instanceof StoredProperties stored) {
            // As it was read: a sealed chunk is written without decoding its events.
            Varints.writeInt(out, stored.length());
            stored.writeTo(out);
        } else if (out instanceof ByteArrayDataOutput bytes) {
            int from = bytes.size();
            map(e.properties(), bytes);
            bytes.prefixLength(from);
        } else {
            ByteArrayDataOutput body = new ByteArrayDataOutput(64);
            map(e.properties(), body);
            Varints.writeInt(out, body.size());
            body.writeTo(out);
        }
    }

    /** An event, every property decoded: one about to be evaluated. */
    public static Event read(DataInput in) throws IOException {
        return read(in, false);
    }

    /**
     * An event stored in state, its properties decoded when first read. Damage in them is found
     * then ({@link CorruptStateException}); in the rest of the event, or bytes missing, here.
     * Version 2's properties, whose length was not written, are checked here as they are walked.
     */
    public static Event readStored(DataInput in) throws IOException {
        return read(in, true);
    }

    private static Event read(DataInput in, boolean stored) throws IOException {
        return read(in, in.readUnsignedByte(), stored);
    }

    private static Event read(DataInput in, int version, boolean stored) throws IOException {
        if (NewerEncodingException.laterBuild(version, VERSION)) {
            throw new NewerEncodingException("an event", version, VERSION);
        }
        if (version != VERSION && version != UNSIZED && version != LEGACY) {
            throw new IOException("unknown event encoding version " + version);
        }
        boolean legacy = version == LEGACY;
        String name = string(in, legacy);
        long time = in.readLong();
        String view = nullableString(in, legacy);
        String session = nullableString(in, legacy);
        return new Event(name, time, properties(in, version, stored), view, session);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> properties(DataInput in, int version, boolean stored)
            throws IOException {
        if (version != VERSION) {
            if (!stored || version == LEGACY) {
                return (Map<String, Object>) value(in, MAP, version == LEGACY);
            }
            ByteArrayDataOutput walked = new ByteArrayDataOutput(64);
            skip(in, MAP, walked);
            return kept(walked.toByteArray());
        }
        int length = Varints.readInt(in);
        if (!stored && in instanceof ByteArrayDataInput bytes) {
            // Decoded where they lie, without a copy: every inbound event comes this way.
            int before = bytes.available();
            Map<String, Object> m = (Map<String, Object>) value(in, MAP, false);
            if (before - bytes.available() != length) {
                throw new IOException(
                        "properties of " + length + " bytes took " + (before - bytes.available()));
            }
            return m;
        }
        byte[] encoding = Varints.readBytes(in, length);
        return stored ? kept(encoding) : properties(encoding);
    }

    private static Map<String, Object> kept(byte[] encoding) {
        // One byte of zero is the count of none: nothing to keep.
        return encoding.length == 1 && encoding[0] == 0 ? Map.of() : new StoredProperties(encoding);
    }

    /** The properties encoded in {@code encoding}, whole: {@link #readStored} kept them so. */
    static Map<String, Object> properties(byte[] encoding) throws IOException {
        ByteArrayDataInput in = new ByteArrayDataInput(encoding);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) value(in, MAP, false);
        if (in.available() != 0) {
            throw new IOException(in.available() + " bytes left after the properties");
        }
        return m;
    }

    /**
     * Copies the encoding of a value tagged {@code tag} (its tag already read) from {@code in} to
     * {@code to}, checking it as {@link #value(DataInput, int, boolean)} would without decoding it.
     */
    private static void skip(DataInput in, int tag, ByteArrayDataOutput to) throws IOException {
        switch (tag) {
            case NULL, TRUE, FALSE -> {}
            case STRING -> to.copyFrom(in, copyLength(in, to));
            case INTEGRAL -> copyVarint(in, to);
            case DOUBLE -> to.copyFrom(in, Double.BYTES);
            case LIST -> {
                for (int i = copyLength(in, to); i > 0; i--) {
                    skip(in, copyTag(in, to), to);
                }
            }
            case MAP -> {
                for (int i = copyLength(in, to); i > 0; i--) {
                    to.copyFrom(in, copyLength(in, to));
                    skip(in, copyTag(in, to), to);
                }
            }
            default -> throw new IOException("unknown value tag " + tag);
        }
    }

    private static int copyTag(DataInput in, ByteArrayDataOutput to) throws IOException {
        int tag = in.readUnsignedByte();
        to.writeByte(tag);
        return tag;
    }

    private static long copyVarint(DataInput in, ByteArrayDataOutput to) throws IOException {
        long v = Varints.readUnsigned(in);
        Varints.writeUnsigned(to, v);
        return v;
    }

    private static int copyLength(DataInput in, ByteArrayDataOutput to) throws IOException {
        long v = copyVarint(in, to);
        if (v < 0 || v > Integer.MAX_VALUE) { // as Varints.readInt refuses it
            throw new IOException("length out of range: " + Long.toUnsignedString(v));
        }
        return (int) v;
    }

    /**
     * The time of the event encoded in {@code length} bytes of {@code b} from {@code offset}, read
     * without decoding the rest: its name is skipped, its properties not reached. A later build's
     * encoding fails here as {@link #read} would.
     */
    public static long time(byte[] b, int offset, int length) throws IOException {
        ByteArrayDataInput in = new ByteArrayDataInput(b, offset, length);
        int version = in.readUnsignedByte();
        if (NewerEncodingException.laterBuild(version, VERSION)) {
            throw new NewerEncodingException("an event", version, VERSION);
        }
        if (version != VERSION && version != UNSIZED && version != LEGACY) {
            throw new IOException("unknown event encoding version " + version);
        }
        int name = version == LEGACY ? in.readUnsignedShort() : Varints.readInt(in);
        if (in.skipBytes(name) != name) {
            throw new IOException("an event's name of " + name + " bytes past its end");
        }
        return in.readLong();
    }

    /**
     * Copies one stored event's encoding from {@code in} to {@code out} as it is, without decoding
     * it: a history chunk is read as its events' encodings, each decoded only when it is read. An
     * encoding of an earlier version is decoded and written in this one.
     */
    public static void copyStored(DataInput in, ByteArrayDataOutput out) throws IOException {
        int version = in.readUnsignedByte();
        if (version != VERSION) {
            write(read(in, version, true), out);
            return;
        }
        out.writeByte(VERSION);
        copyLengthPrefixed(in, out); // name
        out.writeLong(in.readLong()); // time
        for (int s = 0; s < 2; s++) { // view and session ids
            boolean present = in.readBoolean();
            out.writeBoolean(present);
            if (present) {
                copyLengthPrefixed(in, out);
            }
        }
        copyLengthPrefixed(in, out); // properties
    }

    private static void copyLengthPrefixed(DataInput in, ByteArrayDataOutput out)
            throws IOException {
        int n = Varints.readInt(in);
        if (n < 0) {
            throw new IOException("a length of " + n + " bytes");
        }
        Varints.writeInt(out, n);
        out.copyFrom(in, n);
    }

    private static void nullableString(@Nullable String s, DataOutput out) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            Varints.writeString(out, s);
        }
    }

    @Nullable
    private static String nullableString(DataInput in, boolean legacy) throws IOException {
        return in.readBoolean() ? string(in, legacy) : null;
    }

    private static String string(DataInput in, boolean legacy) throws IOException {
        return legacy ? in.readUTF() : Varints.readString(in);
    }

    private static void map(Map<String, Object> m, DataOutput out) throws IOException {
        Varints.writeInt(out, m.size());
        for (Map.Entry<String, Object> e : m.entrySet()) {
            Varints.writeString(out, e.getKey());
            value(e.getValue(), out);
        }
    }

    private static void value(@Nullable Object v, DataOutput out) throws IOException {
        if (v == null) {
            out.writeByte(NULL);
        } else if (v instanceof String s) {
            out.writeByte(STRING);
            Varints.writeString(out, s);
        } else if (v instanceof Number n) {
            double d = n.doubleValue();
            if (d == Math.rint(d) && Math.abs(d) < 1e15 && !(d == 0 && 1 / d < 0)) {
                out.writeByte(INTEGRAL);
                Varints.writeSigned(out, (long) d);
            } else {
                out.writeByte(DOUBLE);
                out.writeDouble(d);
            }
        } else if (v instanceof Boolean b) {
            out.writeByte(b ? TRUE : FALSE);
        } else if (v instanceof List<?> l) {
            out.writeByte(LIST);
            Varints.writeInt(out, l.size());
            for (Object x : l) {
                value(x, out);
            }
        } else if (v instanceof Map<?, ?> m) {
            out.writeByte(MAP);
            @SuppressWarnings("unchecked")
            Map<String, Object> sm = (Map<String, Object>) m;
            map(sm, out);
        } else {
            throw new IOException("not a JSON value: " + v.getClass());
        }
    }

    @Nullable
    private static Object value(DataInput in, boolean legacy) throws IOException {
        return value(in, in.readUnsignedByte(), legacy);
    }

    @Nullable
    private static Object value(DataInput in, int tag, boolean legacy) throws IOException {
        switch (tag) {
            case NULL:
                return null;
            case STRING:
                return string(in, legacy);
            case INTEGRAL:
                return (double) Varints.readSigned(in);
            case DOUBLE:
                return in.readDouble();
            case TRUE:
                return Boolean.TRUE;
            case FALSE:
                return Boolean.FALSE;
            case LIST:
                {
                    int n = Varints.readInt(in);
                    List<Object> l = new ArrayList<>(Math.min(n, 1024));
                    for (int i = 0; i < n; i++) {
                        l.add(value(in, legacy));
                    }
                    return Collections.unmodifiableList(l);
                }
            case MAP:
                {
                    int n = Varints.readInt(in);
                    Map<String, Object> m = new LinkedHashMap<>();
                    for (int i = 0; i < n; i++) {
                        String k = string(in, legacy);
                        m.put(k, value(in, legacy));
                    }
                    return Collections.unmodifiableMap(m);
                }
            default:
                throw new IOException("unknown value tag " + tag);
        }
    }
}
