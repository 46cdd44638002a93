package io.cohortflow.job.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.eval.EventChunk;
import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.base.ListSerializer;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.StateBackend;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The job stored a sealed chunk of a user's history as a list of events until chunks were kept as
 * their encodings: state written then must restore and read now, on either state backend.
 */
class ChunkSerializerTest {
    private static final TypeSerializer<List<Event>> LIST =
            new ListSerializer<>(EventSerializer.INSTANCE);

    private static final List<Event> EVENTS =
            List.of(
                    new Event("page.view", 1_000, Map.of("category", "sport", "n", 2.0), "v", "s"),
                    new Event("purchase", 1_000, Map.of("price", 9.5), null, null),
                    new Event("page.view", 4_000, Map.of(), "v2", null));

    private static byte[] bytes(TypeSerializer<List<Event>> s, List<Event> events)
            throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(64);
        s.serialize(events, out);
        return out.getCopyOfBuffer();
    }

    @Test
    void a_chunk_stored_as_a_list_of_events_reads_as_a_chunk() throws Exception {
        List<Event> read =
                ChunkSerializer.INSTANCE.deserialize(
                        new DataInputDeserializer(bytes(LIST, EVENTS)));
        assertThat(read).isInstanceOf(EventChunk.class).isEqualTo(EVENTS);
        // Written in the chunk's own form, and read back.
        byte[] written = bytes(ChunkSerializer.INSTANCE, read);
        assertThat(written).isEqualTo(bytes(ChunkSerializer.INSTANCE, EVENTS));
        assertThat(ChunkSerializer.INSTANCE.deserialize(new DataInputDeserializer(written)))
                .isEqualTo(EVENTS);
    }

    @Test
    void state_written_by_the_lists_serializer_restores_as_it_is() {
        assertThat(
                        new ChunkSerializer.Snapshot()
                                .resolveSchemaCompatibility(LIST.snapshotConfiguration())
                                .isCompatibleAsIs())
                .isTrue();
        assertThat(
                        new ChunkSerializer.Snapshot()
                                .resolveSchemaCompatibility(new ChunkSerializer.Snapshot())
                                .isCompatibleAsIs())
                .isTrue();
        // A list of something else is not a chunk.
        @SuppressWarnings({"unchecked", "rawtypes"})
        var strings =
                (org.apache.flink.api.common.typeutils.TypeSerializerSnapshot)
                        new ListSerializer<>(Types.STRING.createSerializer(null))
                                .snapshotConfiguration();
        @SuppressWarnings("unchecked")
        boolean incompatible =
                new ChunkSerializer.Snapshot().resolveSchemaCompatibility(strings).isIncompatible();
        assertThat(incompatible).isTrue();
    }

    /** Puts the events under the key's chunk 7 ("put"), or emits what chunk 7 holds ("read"). */
    private static final class Chunks extends KeyedProcessFunction<String, String, String> {
        private final MapStateDescriptor<Long, List<Event>> descriptor;
        private transient MapState<Long, List<Event>> chunks;

        Chunks(TypeSerializer<List<Event>> values) {
            descriptor =
                    new MapStateDescriptor<>("history-chunks", LongSerializer.INSTANCE, values);
        }

        @Override
        public void open(org.apache.flink.api.common.functions.OpenContext ctx) {
            chunks = getRuntimeContext().getMapState(descriptor);
        }

        @Override
        public void processElement(String command, Context ctx, Collector<String> out)
                throws Exception {
            if (command.equals("put")) {
                chunks.put(7L, new ArrayList<>(EVENTS));
            } else {
                List<Event> c = chunks.get(7L);
                out.collect(
                        EventChunk.from(c).equals(EVENTS) + " " + c.size() + " " + c.get(2).time());
            }
        }
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, String, String> harness(
            TypeSerializer<List<Event>> values, StateBackend backend) throws Exception {
        var h =
                new KeyedOneInputStreamOperatorTestHarness<>(
                        new KeyedProcessOperator<>(new Chunks(values)), x -> "u1", Types.STRING);
        h.setStateBackend(backend);
        return h;
    }

    private static StateBackend backend(String name) {
        return name.equals("rocksdb")
                ? new EmbeddedRocksDBStateBackend()
                : new HashMapStateBackend();
    }

    @ParameterizedTest
    @ValueSource(strings = {"rocksdb", "hashmap"})
    void chunks_stored_as_lists_by_an_earlier_build_restore_and_read(String backend)
            throws Exception {
        OperatorSubtaskState earlier;
        try (var h = harness(LIST, backend(backend))) {
            h.open();
            h.processElement("put", 1);
            earlier = h.snapshot(1, 1);
        }
        try (var h = restored(earlier, backend)) {
            h.processElement("read", 2);
            assertThat(h.extractOutputValues()).containsExactly("true 3 4000");
            // Written again in the new build, and restored again.
            h.processElement("put", 3);
            earlier = h.snapshot(2, 2);
        }
        try (var h = restored(earlier, backend)) {
            h.processElement("read", 4);
            assertThat(h.extractOutputValues()).containsExactly("true 3 4000");
        }
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, String, String> restored(
            OperatorSubtaskState state, String backend) throws Exception {
        var h = harness(ChunkSerializer.INSTANCE, backend(backend));
        h.initializeState(state);
        h.open();
        return h;
    }
}
