package io.cohortflow.core.event;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.WholeText;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Measures of an event's JSON against {@link EventLimits}, walking it once, stopping early. */
final class Size {
    private Size() {}

    /**
     * Characters of the node's JSON text (strings and names without escapes, numbers as written
     * roughly): enough to bound an event; counting stops once past {@code stopAt}.
     */
    static int chars(JsonNode n, int stopAt) {
        int[] total = {0};
        chars(n, total, stopAt);
        return total[0];
    }

    private static void chars(JsonNode n, int[] total, int stopAt) {
        if (total[0] > stopAt) {
            return;
        }
        if (n.isTextual()) {
            total[0] += n.textValue().length() + 2;
        } else if (n.isObject()) {
            total[0] += 2;
            Iterator<Map.Entry<String, JsonNode>> it = n.fields();
            while (it.hasNext() && total[0] <= stopAt) {
                Map.Entry<String, JsonNode> e = it.next();
                total[0] += e.getKey().length() + 4;
                chars(e.getValue(), total, stopAt);
            }
        } else if (n.isArray()) {
            total[0] += 2;
            for (int i = 0; i < n.size() && total[0] <= stopAt; i++) {
                total[0] += 1;
                chars(n.get(i), total, stopAt);
            }
        } else {
            total[0] += n.isNumber() ? Math.min(n.asText().length(), stopAt + 1) : 5;
        }
    }

    /**
     * Checks {@code properties} against the limits; adds one error naming the first offending path
     * and returns false when it breaks one.
     */
    static boolean check(JsonNode properties, EventLimits limits, List<String> errors) {
        int[] values = {0};
        String problem = check(properties, "properties", 1, limits, values);
        if (problem != null) {
            errors.add(problem);
            return false;
        }
        return true;
    }

    private static String check(
            JsonNode n, String path, int depth, EventLimits limits, int[] values) {
        if (n.isObject() || n.isArray()) {
            if (depth > limits.maxDepth()) {
                return path + ": nested deeper than " + limits.maxDepth() + " levels";
            }
        }
        if (n.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> it = n.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                String key = e.getKey();
                if (key.length() > limits.maxKeyLength()) {
                    return path
                            + ": a property name is longer than "
                            + limits.maxKeyLength()
                            + " characters";
                }
                String half = WholeText.problem(key);
                if (half != null) {
                    return path + ": a property name: " + half;
                }
                String problem = value(e.getValue(), path + "." + key, depth, limits, values);
                if (problem != null) {
                    return problem;
                }
            }
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                String problem = value(n.get(i), path + "[" + i + "]", depth, limits, values);
                if (problem != null) {
                    return problem;
                }
            }
        }
        return null;
    }

    private static String value(
            JsonNode v, String path, int depth, EventLimits limits, int[] values) {
        if (++values[0] > limits.maxValues()) {
            return "properties: more than " + limits.maxValues() + " values";
        }
        if (v.isTextual() && v.textValue().length() > limits.maxStringLength()) {
            return path + ": longer than " + limits.maxStringLength() + " characters";
        }
        String half = v.isTextual() ? WholeText.problem(v.textValue()) : null;
        if (half != null) {
            return path + ": " + half;
        }
        if (v.isNumber() && !Double.isFinite(v.doubleValue())) {
            return path + ": a number out of range";
        }
        return check(v, path, depth + 1, limits, values);
    }
}
