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
}
