package io.cohortflow.job.model;

import org.jspecify.annotations.Nullable;

/** One record of the definitions topic, raw: parsed by the operator, which owns the rules. */
public class DefinitionUpdate {
    @Nullable public String key;
    @Nullable public byte[] value;
    public long offset;

    public DefinitionUpdate() {}

    public DefinitionUpdate(@Nullable String key, @Nullable byte[] value, long offset) {
        this.key = key;
        this.value = value;
        this.offset = offset;
    }
}
