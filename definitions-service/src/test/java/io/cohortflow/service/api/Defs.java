package io.cohortflow.service.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohortflow.core.contract.Json;
import java.util.List;
import java.util.Map;

/** Definitions and bodies used across tests. */
public final class Defs {
    private Defs() {}

    public static JsonNode mobile() {
        return parse(
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"segment\",\"context\":\"hits\","
                        + "\"pred\":{\"func\":\"exists\",\"description\":\"Mobile Device Type exists\",\"val\":{\"func\":\"attr\",\"name\":\"variables/mobiledevicetype\"}}}}");
    }

    public static JsonNode revenue(int low) {
        return parse(
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"segment\",\"context\":\"visits\","
                        + "\"pred\":{\"func\":\"range\",\"val\":{\"func\":\"attr\",\"name\":\"metrics/revenue\"},\"low\":"
                        + low
                        + ",\"high\":null}}}");
    }

    /** Broken at /container/pred/func. */
    public static JsonNode unknownFunction() {
        return parse(
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"segment\",\"context\":\"hits\","
                        + "\"pred\":{\"func\":\"no-such-func\",\"val\":{\"func\":\"attr\",\"name\":\"variables/x\"}}}}");
    }

    /** A visitors segment of users who sent event {@code name}. */
    public static JsonNode event(String name) {
        return visitors("{\"func\":\"event-exists\",\"evt\":\"" + name + "\"}");
    }

    /** A visitors segment: an or of one segment-ref to each id (repeats allowed). */
    public static JsonNode refs(List<String> ids) {
        StringBuilder preds = new StringBuilder();
        for (String id : ids) {
            preds.append(preds.length() == 0 ? "" : ",")
                    .append("{\"func\":\"segment-ref\",\"id\":\"")
                    .append(id)
                    .append("\"}");
        }
        return visitors("{\"func\":\"or\",\"preds\":[" + preds + "]}");
    }

    private static JsonNode visitors(String pred) {
        return parse(
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                        + "\"context\":\"visitors\",\"pred\":"
                        + pred
                        + "}}");
    }

    public static ObjectNode body(String name, JsonNode def) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("name", name);
        o.put("description", "about " + name);
        o.put("rsid", "default");
        o.set("definition", def);
        return o;
    }

    public static JsonNode parse(String s) {
        try {
            return Json.MAPPER.readTree(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    public static Map<String, Object> map(Object... kv) {
        java.util.LinkedHashMap<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
