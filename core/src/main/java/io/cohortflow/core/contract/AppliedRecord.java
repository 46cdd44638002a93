package io.cohortflow.core.contract;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The job's report that one of its subtasks applied a definition version: to live traffic and to
 * every user it holds. An edit is live everywhere once all {@code parallelism} subtasks reported
 * it.
 *
 * @param offset the definitions-topic offset of the record applied
 * @param appliedAt ISO 8601 wall-clock time at which the subtask finished applying it
 */
public record AppliedRecord(
        @JsonProperty("workspace") String workspace,
        @JsonProperty("id") String id,
        @JsonProperty("version") long version,
        @JsonProperty("offset") long offset,
        @JsonProperty("applied_at") String appliedAt,
        @JsonProperty("subtask") int subtask,
        @JsonProperty("parallelism") int parallelism) {}
