package io.cohortflow.job.model;

import io.cohortflow.core.event.Event;
import io.cohortflow.core.state.ByteArrayDataInput;
import io.cohortflow.core.state.ByteArrayDataOutput;
import io.cohortflow.core.state.EventCodec;
import io.cohortflow.core.state.Varints;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/** A list of events as bytes, so the stream between source and operator stays a plain POJO. */
public final class EventsCodec {
    private EventsCodec() {}

    public static byte[] encode(List<Event> events) {
        ByteArrayDataOutput out = new ByteArrayDataOutput(64 * events.size() + 1);
        try {
            Varints.writeInt(out, events.size());
            for (Event e : events) {
                EventCodec.write(e, out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static List<Event> decode(byte[] bytes) {
        if (bytes.length == 0) {
            return List.of();
        }
        try {
            ByteArrayDataInput in = new ByteArrayDataInput(bytes);
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
