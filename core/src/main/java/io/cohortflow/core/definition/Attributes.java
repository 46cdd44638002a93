package io.cohortflow.core.definition;

/**
 * The attribute namespaces of the language and the reserved names in them. The full table, with
 * examples, is in {@code docs/definition-language.md}.
 */
public final class Attributes {
    public static final String VARIABLES = "variables/";
    public static final String METRICS = "metrics/";

    /** The event name. */
    public static final String NAME = "name";

    public static final String VIEW_ID = "view_id";
    public static final String SESSION_ID = "session_id";

    /** Metric: number of events in the container. */
    public static final String OCCURRENCES = "occurrences";

    /** Metric: number of distinct visits (sessions) in the container. */
    public static final String VISITS = "visits";

    /** Metric: 1 when the container holds any event, else 0. */
    public static final String VISITORS = "visitors";

    private Attributes() {}

    /** {@code variables/a.b} to {@code a.b}. */
    public static String dimension(String attr) {
        return attr.substring(VARIABLES.length());
    }

    /** {@code metrics/x} to {@code x}. */
    public static String metric(String attr) {
        return attr.substring(METRICS.length());
    }
}
