package io.cohortflow.core.contract;

import com.fasterxml.jackson.annotation.JsonProperty;
import javax.annotation.Nullable;

/**
 * Input that could not be used, kept with why. {@code reason} is machine-readable ({@code
 * malformed_json}, {@code invalid_envelope}, {@code invalid_event}, {@code future_event}, {@code
 * older_than_horizon}, {@code schema_violation}, {@code invalid_definition}, ...), {@code detail}
 * says it for people, and the raw key and value are kept as received (UTF-8 text).
 */
public record DeadLetterRecord(
        @JsonProperty("reason") String reason,
        @JsonProperty("detail") String detail,
        @JsonProperty("topic") String topic,
        @JsonProperty("partition") int partition,
        @JsonProperty("offset") long offset,
        @JsonProperty("key") @Nullable String key,
        @JsonProperty("value") @Nullable String value) {}
