package io.cohortflow.job;

import io.cohortflow.core.contract.Json;
import io.cohortflow.core.event.Event;
import io.cohortflow.job.kafka.InboundParser;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.apache.flink.util.InstantiationUtil;
import org.jspecify.annotations.Nullable;

/** Builders of the job's inputs from the JSON a producer would send. */
public final class TestRecords {
    public static final long T0 = Instant.parse("2024-01-15T00:00:00Z").toEpochMilli();
    public static final long MINUTE = 60_000L;
    public static final long HOUR = 60 * MINUTE;
    public static final long DAY = 24 * HOUR;

    /** "3+ Pageviews in the last {@code days} days." */
    public static String threePageviewsIn(int days) {
        return "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\",\"context\":\"hits\","
                + "\"window\":{\"count\":"
                + days
                + ",\"unit\":\"day\"},\"at_least\":3,"
                + "\"pred\":{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/Pageview\"}}}}";
    }

    /** "A page view in the last minute." */
    public static String pageviewInTheLastMinute() {
        return "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                + "\"context\":\"hits\",\"window\":{\"count\":1,\"unit\":\"minute\"},\"at_least\":1,"
                + "\"pred\":{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/Pageview\"}}}}";
    }

    public static String everPurchased() {
        return "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\",\"context\":\"visitors\","
                + "\"pred\":{\"func\":\"event-exists\",\"evt\":{\"func\":\"event\",\"name\":\"metrics/Purchase\"}}}}";
    }

    public static String segmentJson(
            String workspace,
            String id,
            long version,
            long replaces,
            boolean published,
            boolean deleted,
            String definition) {
        return "{\"workspace\":\""
                + workspace
                + "\",\"id\":\""
                + id
                + "\",\"version\":"
                + version
                + ",\"replaces\":"
                + replaces
                + ",\"published\":"
                + published
                + ",\"deleted\":"
                + deleted
                + ",\"name\":\""
                + id
                + "\",\"activations\":{\"gam\":true,\"dv360\":false},\"definition\":"
                + definition
                + "}";
    }

    public static DefinitionUpdate segment(
            String workspace,
            String id,
            long version,
            long replaces,
            boolean published,
            boolean deleted,
            String definition,
            long offset) {
        return new DefinitionUpdate(
                workspace + "/" + id + "@" + version,
                segmentJson(workspace, id, version, replaces, published, deleted, definition)
                        .getBytes(StandardCharsets.UTF_8),
                offset);
    }

    public static String event(String name, long time) {
        return "{\"name\":\""
                + name
                + "\",\"time\":\""
                + Instant.ofEpochMilli(time)
                + "\",\"properties\":{}}";
    }

    public static String envelope(
            String workspace, String user, String requestId, String... events) {
        return "{\"workspace\":\""
                + workspace
                + "\",\"user_id\":\""
                + user
                + "\""
                + (requestId == null
                        ? ""
                        : ",\"request_id\":\"" + requestId + "\",\"activations\":true")
                + ",\"events\":["
                + String.join(",", events)
                + "]}";
    }

    /**
     * An envelope of events of core's model, as a producer would send it. Generators name sessions
     * freely; the wire wants UUIDs, so each name maps to a fixed one.
     */
    public static String envelope(String workspace, String user, List<Event> events) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (Event e : events) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", e.name());
            m.put("time", Instant.ofEpochMilli(e.time()).toString());
            m.put("properties", e.properties());
            if (e.sessionId() != null) {
                m.put(
                        "session_id",
                        UUID.nameUUIDFromBytes(e.sessionId().getBytes(StandardCharsets.UTF_8))
                                .toString());
            }
            list.add(m);
        }
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("workspace", workspace);
        env.put("user_id", user);
        env.put("events", list);
        return Json.MAPPER.valueToTree(env).toString();
    }

    public static Inbound inbound(String json) {
        return InboundParser.parse(
                null, json.getBytes(StandardCharsets.UTF_8), "cohortflow.events", 0, 0, 0);
    }

    private TestRecords() {}

    /** What the harness's operator wrote to its side output for {@code topic}, as JSON. */
    static List<com.fasterxml.jackson.databind.JsonNode> side(
            org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness<
                            String, Inbound, DefinitionUpdate, KafkaMessage>
                    h,
            String topic)
            throws Exception {
        List<com.fasterxml.jackson.databind.JsonNode> out = new ArrayList<>();
        var q = h.getSideOutput(Descriptors.SIDE);
        if (q != null) {
            for (org.apache.flink.streaming.runtime.streamrecord.StreamRecord<KafkaMessage> r : q) {
                if (r.getValue().topic.equals(topic)) {
                    out.add(Json.MAPPER.readTree(r.getValue().value));
                }
            }
        }
        return out;
    }

    /**
     * Runs the sweep of the harness's {@link SegmentationOperator} (its processing-time slices)
     * until it has visited every user.
     */
    static void sweep(
            KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage> h)
            throws Exception {
        SegmentationOperator op = (SegmentationOperator) h.getOperator();
        for (int i = 0; i < 100_000 && op.sweeping(); i++) {
            h.setProcessingTime(h.getProcessingTime() + DefinitionsSweep.BUSY_PAUSE_MILLIS);
        }
        if (op.sweeping()) {
            throw new AssertionError("the sweep did not end");
        }
    }

    /** The streaming settings of the harness tests: 90-day horizon, heap state. */
    static SegmentationSettings streaming(long definitionsEnd) {
        return SegmentationSettings.of(JobConfig.defaults(), definitionsEnd, false);
    }

    /**
     * The streaming operator on a harness, open: serialized and back first, as it reaches a task;
     * 128 key groups, as a job's default (the sweep's cursor is a key group); the wall clock 30
     * days after {@link #T0}; restored from {@code snapshot} when not null; its sweep's slices
     * {@code sliceNanos} long (0: one user per slice); no heartbeats, so that the side output holds
     * what the test's records caused.
     */
    static KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage>
            operator(
                    long definitionsEnd,
                    long sliceNanos,
                    int parallelism,
                    int subtask,
                    @Nullable OperatorSubtaskState snapshot)
                    throws Exception {
        return operator(definitionsEnd, sliceNanos, parallelism, subtask, snapshot, 0);
    }

    /** The streaming operator with {@code settings}, open, as {@link #operator} otherwise. */
    static KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage>
            operator(SegmentationSettings settings) throws Exception {
        return operator(settings, null);
    }

    /** ... restored from {@code snapshot} when not null. */
    static KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage>
            operator(SegmentationSettings settings, @Nullable OperatorSubtaskState snapshot)
                    throws Exception {
        return open(
                new SegmentationOperator(
                        new SegmentationFunction(settings), SegmentationOperator.SLICE_NANOS, 0),
                1,
                0,
                snapshot);
    }

    /** ... writing a heartbeat every {@code heartbeatMillis} of processing time (0: none). */
    static KeyedBroadcastOperatorTestHarness<String, Inbound, DefinitionUpdate, KafkaMessage>
            operator(
                    long definitionsEnd,
                    long sliceNanos,
                    int parallelism,
                    int subtask,
                    @Nullable OperatorSubtaskState snapshot,
                    long heartbeatMillis)
                    throws Exception {
        return open(
                new SegmentationOperator(
                        new SegmentationFunction(streaming(definitionsEnd)),
                        sliceNanos,
                        heartbeatMillis),
                parallelism,
                subtask,
                snapshot);
    }

    private static KeyedBroadcastOperatorTestHarness<
                    String, Inbound, DefinitionUpdate, KafkaMessage>
            open(
                    SegmentationOperator operator,
                    int parallelism,
                    int subtask,
                    @Nullable OperatorSubtaskState snapshot)
                    throws Exception {
        SegmentationOperator op = InstantiationUtil.clone(operator);
        var h =
                new KeyedBroadcastOperatorTestHarness<>(
                        op, Inbound::getKey, Types.STRING, 128, parallelism, subtask);
        h.setProcessingTime(T0 + 30 * DAY); // the wall clock, for the future-skew check
        if (snapshot != null) {
            h.initializeState(snapshot);
        }
        h.open();
        return h;
    }
}
