package io.cohortflow.job.model;

import io.cohortflow.core.contract.Json;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/** A record for a Kafka topic: every output of the job is one of these. A Flink POJO. */
public class KafkaMessage {
    public String topic = "";
    @Nullable public String key;

    /** The record's value; null for a tombstone (on a compacted topic: the key is forgotten). */
    public byte @Nullable [] value = new byte[0];

    /**
     * A reply's waiting service replica ({@code host:port}): the job sends it there, and to {@link
     * #topic} only when it cannot. Null for every other record.
     */
    @Nullable public String replyTo;

    public KafkaMessage() {}

    public KafkaMessage(String topic, @Nullable String key, byte @Nullable [] value) {
        this.topic = topic;
        this.key = key;
        this.value = value;
    }

    /** A message whose value is a contract record as JSON. */
    public static KafkaMessage json(String topic, @Nullable String key, Object record) {
        return new KafkaMessage(topic, key, Json.bytes(record));
    }

    /** A tombstone: the compacted {@code topic}'s readers forget {@code key}. */
    public static KafkaMessage tombstone(String topic, String key) {
        return new KafkaMessage(topic, key, null);
    }

    /** The bytes of key and value (what a record's size limit counts, less its framing). */
    public int size() {
        return (key == null ? 0 : key.getBytes(StandardCharsets.UTF_8).length)
                + (value == null ? 0 : value.length);
    }

    /** The value as text; "null" for a tombstone. */
    public String valueText() {
        return value == null ? "null" : new String(value, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return topic + " " + key + " " + valueText();
    }
}
