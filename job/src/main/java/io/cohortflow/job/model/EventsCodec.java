package io.cohortflow.job.model;

import io.cohortflow.core.event.Event;
import io.cohortflow.core.state.EventCodec;
import io.cohortflow.core.state.Varints;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** A list of events as bytes, so the stream between source and operator stays a plain POJO. */
public final class EventsCodec {
    private EventsCodec() {}

    public static byte[] encode(List<Event> events) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64 * events.size() + 1);
        try (DataOutputStream out = new DataOutputStream(b)) {
            Varints.writeInt(out, events.size());
            for (Event e : events) {
                EventCodec.write(e, out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toByteArray();
    }

    public static List<Event> decode(byte[] bytes) {
        if (bytes.length == 0) {
            return List.of();
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            int n = Varints.readInt(in);
            List<Event> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                out.add(EventCodec.read(in));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
