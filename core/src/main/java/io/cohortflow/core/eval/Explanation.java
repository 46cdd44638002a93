package io.cohortflow.core.eval;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Why a predicate holds or not for a user: one node of the definition as a tree, in the JSON the
 * API answers (fields without a value are left out).
 *
 * @param pointer the node in the resolved definition (a JSON pointer)
 * @param holds the node's truth on the unit it was evaluated on
 * @param value for a metric comparison, the aggregate it compared; for a dimension comparison, the
 *     number of the unit's hits that satisfy it; for {@code event-exists}, the number of hits of
 *     that event
 * @param units for a container: how many units (hits, visits, the visitor) its window left
 * @param matchingUnits how many of them satisfy its predicate (it holds with {@code atLeast})
 * @param window a container's rolling window ({@code count}, {@code unit}), as defined
 * @param steps for a sequence: per step, how many places of the unit satisfy it, and when the
 *     sequence holds, the events of the match found
 * @param definition a leaf's own definition (comparisons, existence tests, sequences)
 * @param children the node's operands; a container's predicate is explained on a witness unit: the
 *     first that satisfied it, else the first examined
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Explanation(
        @JsonProperty("pointer") String pointer,
        @JsonProperty("func") String func,
        @JsonProperty("holds") boolean holds,
        @JsonProperty("value") @Nullable Double value,
        @JsonProperty("units") @Nullable Integer units,
        @JsonProperty("matching_units") @Nullable Integer matchingUnits,
        @JsonProperty("at_least") @Nullable Integer atLeast,
        @JsonProperty("window") @Nullable JsonNode window,
        @JsonProperty("steps") @Nullable List<Step> steps,
        @JsonProperty("definition") @Nullable JsonNode definition,
        @JsonProperty("children") List<Explanation> children) {

    /**
     * One step of a sequence: how many places of the unit satisfy it on their own, and the events
     * it matched in the match found (null when the sequence does not hold).
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Step(
            @JsonProperty("occurrences") int occurrences,
            @JsonProperty("matched") @Nullable List<Hit> matched) {}

    /** An event named in an explanation. */
    public record Hit(@JsonProperty("name") String name, @JsonProperty("time") String time) {}
}
