package io.cohortflow.job.model;

import org.jspecify.annotations.Nullable;

/**
 * One record of the broadcast side, raw: a record of the definitions topic (parsed by the operator,
 * which owns the rules), or, when {@link #estimate} is set, a request of the estimates topic that
 * every subtask must see too.
 */
public class DefinitionUpdate {
    @Nullable public String key;
    @Nullable public byte[] value;

    /** The record's offset in its topic (the definitions topic's unless {@link #estimate}). */
    public long offset;

    /** An {@code EstimateRequest}, not a definitions record. */
    public boolean estimate;

    public DefinitionUpdate() {}

    public DefinitionUpdate(@Nullable String key, @Nullable byte[] value, long offset) {
        this.key = key;
        this.value = value;
        this.offset = offset;
    }

    /** A request to estimate a draft (see {@code DraftEstimates}). */
    public static DefinitionUpdate estimate(@Nullable String key, byte[] value, long offset) {
        DefinitionUpdate u = new DefinitionUpdate(key, value, offset);
        u.estimate = true;
        return u;
    }
}
