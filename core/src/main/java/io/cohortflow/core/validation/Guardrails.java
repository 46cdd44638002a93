package io.cohortflow.core.validation;

import io.cohortflow.core.definition.Problem;

/**
 * Complexity limits on definitions. Exceeding one is an error or, when {@code severity} is {@code
 * WARNING}, a warning only.
 *
 * @param maxDepth deepest nesting of predicates (containers and logic)
 * @param maxSequenceSteps most checkpoints in one sequence
 * @param maxAggregates most aggregate comparisons (metrics, total, total-distinct) in a definition
 * @param maxPredicates most predicate nodes in a definition
 */
public record Guardrails(
        int maxDepth,
        int maxSequenceSteps,
        int maxAggregates,
        int maxPredicates,
        Problem.Severity severity) {

    public static final Guardrails DEFAULT =
            new Guardrails(12, 10, 20, 200, Problem.Severity.ERROR);
}
