package io.cohortflow.job;

import io.cohortflow.job.kafka.InboundParser;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.Inbound;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

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

    public static Inbound inbound(String json) {
        return InboundParser.parse(
                null, json.getBytes(StandardCharsets.UTF_8), "cohortflow.events", 0, 0, 0);
    }

    private TestRecords() {}
}
