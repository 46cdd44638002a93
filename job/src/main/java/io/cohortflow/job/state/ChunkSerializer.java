package io.cohortflow.job.state;

import io.cohortflow.core.eval.EventChunk;
import io.cohortflow.core.event.Event;
import java.io.DataOutput;
import java.io.IOException;
import java.util.List;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.ListSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;

/**
 * Flink serializer of a sealed chunk of a user's history (core's {@link EventChunk}): its events'
 * encodings, copied in and out without decoding an event. A seal appends to the newest chunk, and
 * decoding and encoding its events there were a sixth of the engine's time for users of a hundred
 * events.
 *
 * <p>It reads what the job wrote before, a list of events serialized one by one after its size
 * ({@link EventChunk#readSealed}), so a checkpoint or savepoint taken with the list's serializer
 * restores as it is ({@link Snapshot}); such a chunk stays in that form until it is written again
 * (the newest, when events are appended to it) or deleted. A build before this serializer cannot
 * restore state written with it.
 */
public final class ChunkSerializer extends CodecSerializer<List<Event>> {
    public static final ChunkSerializer INSTANCE = new ChunkSerializer();

    /**
     * The most bytes of events a chunk read takes: a bound on what damaged input costs. A chunk
     * holds about four kilobytes, or one larger event alone (the profile's open chunk, which it
     * was, is bounded alike).
     */
    private static final int MAX_BYTES = 1 << 24;

    @Override
    void write(List<Event> events, DataOutput out) throws IOException {
        EventChunk.from(events).writeSealed(out);
    }

    @Override
    List<Event> read(DataInputView in) throws IOException {
        return EventChunk.readSealed(in, MAX_BYTES);
    }

    @Override
    String what() {
        return "history chunk";
    }

    /** A sealed chunk is never changed once written (see {@link EventChunk}). */
    @Override
    public boolean isImmutableType() {
        return true;
    }

    @Override
    public List<Event> createInstance() {
        return EventChunk.of(List.of());
    }

    @Override
    public List<Event> copy(List<Event> from) {
        return from;
    }

    @Override
    public TypeSerializerSnapshot<List<Event>> snapshotConfiguration() {
        return new Snapshot();
    }

    public static final class Snapshot extends SimpleTypeSerializerSnapshot<List<Event>> {
        public Snapshot() {
            super(() -> INSTANCE);
        }

        /**
         * State written by the serializer of a list of events ({@link EventSerializer}'s): {@link
         * EventChunk#readSealed} reads that form too, so as it is.
         */
        @Override
        public TypeSerializerSchemaCompatibility<List<Event>> resolveSchemaCompatibility(
                TypeSerializerSnapshot<List<Event>> old) {
            if (old instanceof ListSerializerSnapshot<?> list
                    && list.getNestedSerializerSnapshots()[0] instanceof EventSerializer.Snapshot) {
                return TypeSerializerSchemaCompatibility.compatibleAsIs();
            }
            return super.resolveSchemaCompatibility(old);
        }
    }
}
