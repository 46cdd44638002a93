package io.cohortflow.core.definition;

/**
 * What a comparison looks at: an attribute ({@code variables/...} dimension or {@code metrics/...}
 * aggregate), or an explicit aggregate.
 */
public sealed interface Val {

    /** {@code {"func":"attr","name":"variables/x"|"metrics/x"}}. */
    record Attr(String name) implements Val {
        public boolean isMetric() {
            return name.startsWith(Attributes.METRICS);
        }

        public boolean isDimension() {
            return name.startsWith(Attributes.VARIABLES);
        }
    }

    /**
     * {@code {"func":"total","evt":{"func":"event","name":"metrics/x"}}}: the metric {@code x}
     * summed over the container (see {@link Attributes} for what a metric counts).
     */
    record Total(String metric) implements Val {}

    /** {@code {"func":"total-distinct","field":{"func":"attr","name":"variables/x"}}}. */
    record TotalDistinct(String field) implements Val {}

    /** True when the value is an aggregate over the container rather than a per-hit dimension. */
    default boolean aggregate() {
        return !(this instanceof Attr a) || a.isMetric();
    }
}
