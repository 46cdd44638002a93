package io.cohortflow.core.state;

import io.cohortflow.core.event.Event;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;

/** Event encodings of earlier builds, for tests that they are still read. */
public final class PreviousEventCodec {
    private PreviousEventCodec() {}

    /**
     * {@code e} as version 2 wrote it: as the present version, without the properties' length
     * before them.
     */
    public static byte[] version2(Event e) {
        byte[] now = encoded(e);
        // The present encoding: the header, the properties' length, then the properties.
        int header =
                encoded(new Event(e.name(), e.time(), Map.of(), e.viewId(), e.sessionId())).length
                        - 2;
        try {
            int length =
                    (int)
                            Varints.readUnsigned(
                                    new ByteArrayDataInput(now, header, now.length - header));
            ByteArrayDataOutput v2 = new ByteArrayDataOutput();
            v2.writeByte(2);
            v2.write(now, 1, header - 1);
            v2.write(now, now.length - length, length);
            return v2.toByteArray();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** A sport page view, time 42 and session "s1", as version 1 wrote it (strings by writeUTF). */
    public static final Event VERSION_1_EXAMPLE =
            new Event("Pageview", 42L, Map.of("section", "sport"), null, "s1");

    /** {@link #VERSION_1_EXAMPLE}'s encoding in version 1. */
    public static byte[] version1Example() {
        ByteArrayDataOutput out = new ByteArrayDataOutput();
        try {
            out.writeByte(1);
            out.writeUTF("Pageview");
            out.writeLong(42L);
            out.writeBoolean(false); // no view
            out.writeBoolean(true);
            out.writeUTF("s1");
            Varints.writeInt(out, 1); // one property
            out.writeUTF("section");
            out.writeByte(1); // a string
            out.writeUTF("sport");
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }

    private static byte[] encoded(Event e) {
        ByteArrayDataOutput out = new ByteArrayDataOutput();
        try {
            EventCodec.write(e, out);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }
}
