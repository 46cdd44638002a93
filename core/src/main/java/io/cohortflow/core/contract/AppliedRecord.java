package io.cohortflow.core.contract;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.jspecify.annotations.Nullable;

/**
 * The job's report that one of its subtasks applied a definition version: {@link #LIVE} as soon as
 * it evaluates new events with it, {@link #APPLIED} once every user it holds has been brought up to
 * it. An edit is live (applied) everywhere once all {@code parallelism} subtasks reported it so.
 *
 * @param offset the definitions-topic offset of the record applied
 * @param appliedAt ISO 8601 wall-clock time at which the subtask finished applying it
 * @param status {@link #LIVE}, {@link #APPLIED}, or {@link #REJECTED} when the job could not
 *     compile the version: then the segment is not live in the job (it holds no members) and {@code
 *     reason} says why
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

    /**
     * The subtask evaluates new events with this version, and brings each user up to it at their
     * next event or lapse or when its sweep reaches them.
     */
    public static final String LIVE = "live";

    /** Every user the subtask holds has been brought up to this version (or a later one). */
    public static final String APPLIED = "applied";

    public static final String REJECTED = "rejected";

    public AppliedRecord {
        status = status == null ? APPLIED : status; // records written before the status existed
        // Why a definition was refused may list every problem of a large one: cut, so that the
        // report stays a record.
        reason = RecordLimits.cut(reason, RecordLimits.MAX_MESSAGE);
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
