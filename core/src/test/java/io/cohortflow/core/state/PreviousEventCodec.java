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
