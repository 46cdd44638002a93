package io.cohortflow.core.validation;

import io.cohortflow.core.definition.Problem;
import io.cohortflow.core.definition.SegmentResolver;

/**
 * Complexity limits on definitions. Exceeding one is an error or, when {@code severity} is {@code
 * WARNING}, a warning only. Depth, sequence steps and aggregates hold for a definition as written
 * and once its {@code segment-ref}s are inlined (what the engine evaluates); the predicate count
 * has a limit for each: {@code maxPredicates} as written, {@code maxResolvedPredicates} inlined.
 *
 * @param maxDepth deepest nesting of predicates (containers and logic)
 * @param maxSequenceSteps most checkpoints in one sequence
 * @param maxAggregates most aggregate comparisons (metrics, total, total-distinct) in a definition
 * @param maxPredicates most predicate nodes in a definition as written
 * @param maxResolvedPredicates most predicate nodes once its {@code segment-ref}s are inlined
 *     (references multiply: small definitions can expand exponentially). Always an error whatever
 *     {@code severity} says, since past it nothing is inlined; at most {@link
 *     SegmentResolver#MAX_RESOLVED_NODES}, the job's own backstop
 */
public record Guardrails(
        int maxDepth,
        int maxSequenceSteps,
        int maxAggregates,
        int maxPredicates,
        int maxResolvedPredicates,
        Problem.Severity severity) {

    public static final Guardrails DEFAULT =
            new Guardrails(12, 10, 20, 200, 1000, Problem.Severity.ERROR);

    public Guardrails {
        if (maxResolvedPredicates < 1
                || maxResolvedPredicates > SegmentResolver.MAX_RESOLVED_NODES) {
            throw new IllegalArgumentException(
                    "maxResolvedPredicates must be 1.."
                            + SegmentResolver.MAX_RESOLVED_NODES
                            + " (the job refuses more), got "
                            + maxResolvedPredicates);
        }
    }

    /** These guardrails with another resolved-size limit. */
    public Guardrails withMaxResolvedPredicates(int max) {
        return new Guardrails(
                maxDepth, maxSequenceSteps, maxAggregates, maxPredicates, max, severity);
    }
}
