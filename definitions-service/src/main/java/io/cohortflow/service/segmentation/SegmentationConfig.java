package io.cohortflow.service.segmentation;

import io.cohortflow.core.contract.TopicNames;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The segmentation API's settings, each with its key and default in one place. Read from the same
 * properties file as {@link io.cohortflow.service.config.ServiceConfig}, overridden by environment
 * variables ({@code cohortflow.segmentation.timeoutMs} by {@code
 * COHORTFLOW_SEGMENTATION_TIMEOUTMS}).
 *
 * @param topics events, replies and dead-letter topics (the job's contract)
 * @param aliasesTopic compacted, one partition: alias bindings
 * @param schemasTopic compacted, one partition: event schemas
 * @param timeout how long a request waits for the job's reply before 503/504
 * @param maxEvents events a request may carry (the spec's 10)
 * @param maxFutureSkew how far ahead of the clock an event time may be (the job's limit)
 */
public record SegmentationConfig(
        TopicNames topics,
        String aliasesTopic,
        String schemasTopic,
        Duration timeout,
        Duration writeTimeout,
        int maxEvents,
        Duration maxFutureSkew) {

    public static final String TOPIC_EVENTS = "cohortflow.topics.events";
    public static final String TOPIC_REPLIES = "cohortflow.topics.replies";
    public static final String TOPIC_DEAD_LETTER = "cohortflow.topics.deadLetter";
    public static final String TOPIC_ALIASES = "cohortflow.topics.aliases";
    public static final String TOPIC_SCHEMAS = "cohortflow.topics.schemas";
    public static final String TIMEOUT_MS = "cohortflow.segmentation.timeoutMs";
    public static final String MAX_EVENTS = "cohortflow.segmentation.maxEvents";
    public static final String MAX_FUTURE_SKEW = "cohortflow.segmentation.maxFutureSkew";

    public static final Map<String, String> DEFAULTS =
            Map.of(
                    TOPIC_EVENTS, TopicNames.DEFAULT.events(),
                    TOPIC_REPLIES, TopicNames.DEFAULT.replies(),
                    TOPIC_DEAD_LETTER, TopicNames.DEFAULT.deadLetter(),
                    TOPIC_ALIASES, "cohortflow.aliases",
                    TOPIC_SCHEMAS, "cohortflow.schemas",
                    TIMEOUT_MS, "5000",
                    MAX_EVENTS, "10",
                    MAX_FUTURE_SKEW, "PT5M");

    public SegmentationConfig {
        if (maxEvents < 0) {
            throw new IllegalArgumentException(MAX_EVENTS + " must be at least 0");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException(TIMEOUT_MS + " must be positive");
        }
    }

    /** Properties first, then their environment overrides, then the defaults. */
    public static SegmentationConfig from(Map<String, String> props, Map<String, String> env) {
        Map<String, String> s = new HashMap<>(DEFAULTS);
        for (String k : DEFAULTS.keySet()) {
            if (props.containsKey(k)) {
                s.put(k, props.get(k));
            }
            String e = env.get(envName(k));
            if (e != null) {
                s.put(k, e);
            }
        }
        TopicNames d = TopicNames.DEFAULT;
        Duration timeout = Duration.ofMillis(Long.parseLong(s.get(TIMEOUT_MS)));
        return new SegmentationConfig(
                new TopicNames(
                        props.getOrDefault("cohortflow.topics.definitions", d.definitions()),
                        s.get(TOPIC_EVENTS),
                        d.memberships(),
                        s.get(TOPIC_REPLIES),
                        s.get(TOPIC_DEAD_LETTER),
                        props.getOrDefault("cohortflow.topics.applied", d.applied())),
                s.get(TOPIC_ALIASES),
                s.get(TOPIC_SCHEMAS),
                timeout,
                Duration.ofSeconds(10),
                Integer.parseInt(s.get(MAX_EVENTS)),
                Duration.parse(s.get(MAX_FUTURE_SKEW)));
    }

    public static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_');
    }
}
