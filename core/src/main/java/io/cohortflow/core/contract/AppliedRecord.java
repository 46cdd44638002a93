package io.cohortflow.core.contract;

import com.fasterxml.jackson.annotation.JsonProperty;
import javax.annotation.Nullable;

/**
 * The job's report that one of its subtasks applied a definition version: to live traffic and to
 * every user it holds. An edit is live everywhere once all {@code parallelism} subtasks reported
 * it.
 *
 * @param offset the definitions-topic offset of the record applied
 * @param appliedAt ISO 8601 wall-clock time at which the subtask finished applying it
 * @param status {@link #APPLIED}, or {@link #REJECTED} when the job could not compile the version:
 *     then the segment is not live in the job (it holds no members) and {@code reason} says why
 */
public record AppliedRecord(
        @JsonProperty("workspace") String workspace,
        @JsonProperty("id") String id,
        @JsonProperty("version") long version,
        @JsonProperty("offset") long offset,
        @JsonProperty("applied_at") String appliedAt,
        @JsonProperty("subtask") int subtask,
        @JsonProperty("parallelism") int parallelism,
        @JsonProperty("status") @Nullable String status,
        @JsonProperty("reason") @Nullable String reason) {

    public static final String APPLIED = "applied";
    public static final String REJECTED = "rejected";

    public AppliedRecord {
        status = status == null ? APPLIED : status; // records written before the status existed
    }

    /** A version applied. */
    public AppliedRecord(
            String workspace,
            String id,
            long version,
            long offset,
            String appliedAt,
            int subtask,
            int parallelism) {
        this(workspace, id, version, offset, appliedAt, subtask, parallelism, APPLIED, null);
    }

    public boolean rejected() {
        return REJECTED.equals(status);
    }
}
