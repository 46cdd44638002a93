package io.cohortflow.job.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.eval.ListHistory;
import io.cohortflow.core.eval.ProfileCodec;
import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.core.eval.SegmentEngine;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.event.Event;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/**
 * The state serializers through Flink's own data views, which the job's state backend hands them:
 * core's codecs are otherwise tested over core's byte arrays and the JDK's streams, and one of
 * Flink's views differs from both ({@code DataOutputSerializer.writeBytes} advances twice per
 * byte).
 */
class CodecSerializersTest {
    private static final long T0 = 1_767_225_600_000L;

    @Test
    void a_profile_and_its_events_survive_flinks_data_views_as_they_do_a_byte_array()
            throws Exception {
        var definition =
                io.cohortflow.core.definition.DefinitionParser.parse(
                                new com.fasterxml.jackson.databind.ObjectMapper()
                                        .readTree(
                                                "{\"func\":\"segment-def\",\"version\":[1,0,0],"
                                                        + "\"container\":{\"func\":\"container\","
                                                        + "\"context\":\"visitors\",\"pred\":{\"func\":"
                                                        + "\"ge\",\"val\":{\"func\":\"total-distinct\","
                                                        + "\"field\":{\"func\":\"attr\",\"name\":"
                                                        + "\"variables/category\"}},\"num\":2}}}"))
                        .definition();
        SegmentCatalog catalog = SegmentCatalog.empty().put("views", 1, definition).catalog();
        SegmentEngine engine = new SegmentEngine(EngineConfig.DEFAULT);
        UserProfile p = new UserProfile();
        ListHistory h = new ListHistory();
        for (int i = 0; i < 5; i++) {
            Map<String, Object> props = new LinkedHashMap<>();
            props.put("category", i % 2 == 0 ? "sport" : "Café ✓");
            props.put("depth", (double) i);
            engine.onEvents(
                    p,
                    h,
                    catalog,
                    List.of(new Event("page.view", T0 + i * 1000L, props, null, "s1")));
        }
        DataOutputSerializer out = new DataOutputSerializer(16);
        ProfileSerializer.INSTANCE.serialize(p, out);
        assertThat(out.getCopyOfBuffer()).isEqualTo(ProfileCodec.toBytes(p));
        UserProfile back =
                ProfileSerializer.INSTANCE.deserialize(
                        new DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(ProfileCodec.toBytes(back)).isEqualTo(ProfileCodec.toBytes(p));
        assertThat(engine.cohorts(back, catalog)).containsExactly("views");

        for (Event e : h.events()) {
            DataOutputSerializer eventOut = new DataOutputSerializer(16);
            EventSerializer.INSTANCE.serialize(e, eventOut);
            Event read =
                    EventSerializer.INSTANCE.deserialize(
                            new DataInputDeserializer(eventOut.getCopyOfBuffer()));
            assertThat(read).isEqualTo(e);
        }
    }

    /** Counts its encodings; a value is a long[] written whole. */
    private static class CountingSerializer extends CodecSerializer<long[]> {
        int writes;

        @Override
        void write(long[] value, java.io.DataOutput out) throws java.io.IOException {
            writes++;
            out.writeInt(value.length);
            for (long v : value) {
                out.writeLong(v);
            }
        }

        @Override
        long[] read(org.apache.flink.core.memory.DataInputView in) throws java.io.IOException {
            long[] v = new long[in.readInt()];
            for (int i = 0; i < v.length; i++) {
                v[i] = in.readLong();
            }
            return v;
        }

        @Override
        public boolean isImmutableType() {
            return false;
        }

        @Override
        public long[] createInstance() {
            return new long[0];
        }

        @Override
        public long[] copy(long[] from) {
            return from.clone();
        }

        @Override
        public org.apache.flink.api.common.typeutils.TypeSerializerSnapshot<long[]>
                snapshotConfiguration() {
            throw new UnsupportedOperationException();
        }
    }

    private static long[] written(CountingSerializer s, long[] value) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(16);
        s.serialize(value, out);
        return s.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
    }

    @Test
    void within_one_update_a_value_written_twice_is_encoded_once_and_a_changed_one_afresh()
            throws Exception {
        CountingSerializer s = new CountingSerializer();
        long[] profile = {1, 2};
        long[] other = {3};
        List<long[]> out = new java.util.ArrayList<>();
        // As the changelog state backend's update does: for RocksDB, then for the log.
        CodecSerializer.encodingOnce(
                () -> {
                    out.add(written(s, profile));
                    out.add(written(s, profile));
                    out.add(written(s, other));
                    out.add(written(s, profile)); // not the last one written: encoded again
                });
        assertThat(s.writes).isEqualTo(3);
        assertThat(out)
                .containsExactly(
                        new long[] {1, 2}, new long[] {1, 2}, new long[] {3}, new long[] {1, 2});

        // The same object changed after its update: written from its new state, inside a
        // window or out of one.
        profile[0] = 7;
        assertThat(written(s, profile)).containsExactly(7, 2);
        profile[1] = 8;
        CodecSerializer.encodingOnce(() -> out.add(written(s, profile)));
        assertThat(out.get(4)).containsExactly(7, 8);
        assertThat(s.writes).isEqualTo(5);

        // A write that fails halfway leaves nothing behind for the next.
        long[] bad = {9};
        CountingSerializer failing =
                new CountingSerializer() {
                    @Override
                    void write(long[] value, java.io.DataOutput o) throws java.io.IOException {
                        if (value == bad) {
                            o.writeInt(99);
                            throw new java.io.IOException("disk full");
                        }
                        super.write(value, o);
                    }
                };
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> CodecSerializer.encodingOnce(() -> written(failing, bad)))
                .hasMessageContaining("disk full");
        CodecSerializer.encodingOnce(() -> assertThat(written(failing, other)).containsExactly(3));
    }
}
