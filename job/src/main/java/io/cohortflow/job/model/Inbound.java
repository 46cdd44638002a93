package io.cohortflow.job.model;

import org.jspecify.annotations.Nullable;

/**
 * One record of the events topic as the job sees it: either a parsed envelope (events encoded
 * compactly with {@code EventCodec}) or, when {@code reason} is set, input that cannot be used,
 * kept raw for the dead-letter topic. A Flink POJO: no Kryo.
 */
public class Inbound {
    /** {@code workspace/user}, or "" for input too broken to name its user. */
    public String key = "";

    public String workspace = "";
    public String userId = "";
    @Nullable public String requestId;

    /** The client's key for a request (see {@code EventEnvelope#idempotencyKey}), or null. */
    @Nullable public String idempotencyKey;

    /**
     * Where the waiting service replica hears its reply ({@code EventEnvelope#replyTo}), or null.
     */
    @Nullable public String replyTo;

    public boolean activations;
    public boolean validate;

    /**
     * What a request asks of the user's state besides segmenting ({@code EventEnvelope#op}), or
     * null for segmentation.
     */
    @Nullable public String op;

    /** The segment an {@code explain} request names. */
    @Nullable public String segment;

    /** The events, encoded by {@link EventsCodec}. */
    public byte[] events = new byte[0];

    /** The latest event time of the envelope (or the record timestamp), for watermarks. */
    public long eventTime;

    /** Why the record cannot be used (a dead-letter reason), or null. */
    @Nullable public String reason;

    @Nullable public String detail;

    // Where it came from, for the dead-letter record.
    public String topic = "";
    public int partition;
    public long offset;
    @Nullable public String rawKey;
    @Nullable public String rawValue;

    public Inbound() {}

    public String getKey() {
        return key;
    }

    public boolean valid() {
        return reason == null;
    }
}
