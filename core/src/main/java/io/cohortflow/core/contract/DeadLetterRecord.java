package io.cohortflow.core.contract;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.jspecify.annotations.Nullable;

/**
 * Input that could not be used, kept with why. {@code reason} is machine-readable ({@code
 * malformed_json}, {@code invalid_envelope}, {@code invalid_event}, {@code future_event}, {@code
 * older_than_horizon}, {@code schema_violation}, {@code invalid_definition}, ...), {@code detail}
 * says it for people, and the raw key and value are kept as received (UTF-8 text).
 *
 * <p>Key, value and detail are cut to fixed sizes (the cut ends with {@link RecordLimits#CUT}): a
 * dead letter must always fit in a Kafka record, or the one record meant to absorb bad input would
 * fail the job's sink instead. The whole raw record stays in its own topic at {@code topic}/{@code
 * partition}/{@code offset}.
 */
public record DeadLetterRecord(
        @JsonProperty("reason") String reason,
        @JsonProperty("detail") String detail,
        @JsonProperty("topic") String topic,
        @JsonProperty("partition") int partition,
        @JsonProperty("offset") long offset,
        @JsonProperty("key") @Nullable String key,
        @JsonProperty("value") @Nullable String value) {

    /** Characters kept of the raw value (at most 4 bytes each in UTF-8: under 1 MB). */
    public static final int MAX_VALUE = 128 * 1024;

    public static final int MAX_DETAIL = RecordLimits.MAX_MESSAGE;
    public static final int MAX_KEY = 1024;

    public DeadLetterRecord {
        reason = RecordLimits.cut(reason, 128);
        detail = RecordLimits.cut(detail, MAX_DETAIL);
        key = RecordLimits.cut(key, MAX_KEY);
        value = RecordLimits.cut(value, MAX_VALUE);
    }
}
