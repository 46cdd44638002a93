package io.cohortflow.job.state;

import io.cohortflow.core.event.Event;
import io.cohortflow.core.state.EventCodec;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Map;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;

/** Flink serializer of a stored event (immutable), delegating to core's {@link EventCodec}. */
public final class EventSerializer extends CodecSerializer<Event> {
    public static final EventSerializer INSTANCE = new EventSerializer();

    @Override
    void write(Event e, DataOutput out) throws IOException {
        EventCodec.write(e, out);
    }

    @Override
    Event read(DataInputView in) throws IOException {
        return EventCodec.readStored(in);
    }

    @Override
    String what() {
        return "event";
    }

    @Override
    public boolean isImmutableType() {
        return true;
    }

    @Override
    public Event createInstance() {
        return Event.of("", 0, Map.of());
    }

    @Override
    public Event copy(Event from) {
        return from;
    }

    @Override
    public TypeSerializerSnapshot<Event> snapshotConfiguration() {
        return new Snapshot();
    }

    public static final class Snapshot extends SimpleTypeSerializerSnapshot<Event> {
        public Snapshot() {
            super(() -> INSTANCE);
        }
    }
}
