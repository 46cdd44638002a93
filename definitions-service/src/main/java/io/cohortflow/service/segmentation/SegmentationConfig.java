package io.cohortflow.service.segmentation;

import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.event.EventLimits;
import io.cohortflow.service.limits.WorkspaceLimits;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

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
 * @param horizon how far behind the clock an event time may be (the job's history horizon): an
 *     older event could change no state, so it is refused rather than silently ignored
 * @param eventLimits how big one event may be (the job's limits)
 * @param maxAliases aliases one request may name
 * @param maxAliasLength characters of an alias's tag or id
 * @param limit requests a second and requests in flight of one workspace, beyond which a request
 *     gets 429 at once
 * @param workspaceLimits workspaces with limits of their own ({@code
 *     cohortflow.segmentation.workspace.<org>.requestsPerSecond} and {@code .maxInFlight}, from the
 *     properties only: an environment variable's name cannot spell every org)
 */
public record SegmentationConfig(
        TopicNames topics,
        String aliasesTopic,
        String schemasTopic,
        Duration timeout,
        Duration writeTimeout,
        int maxEvents,
        Duration maxFutureSkew,
        Duration horizon,
        EventLimits eventLimits,
        int maxAliases,
        int maxAliasLength,
        WorkspaceLimits.Limit limit,
        Map<String, WorkspaceLimits.Limit> workspaceLimits) {

    public static final String TOPIC_EVENTS = "cohortflow.topics.events";
    public static final String TOPIC_REPLIES = "cohortflow.topics.replies";
    public static final String TOPIC_DEAD_LETTER = "cohortflow.topics.deadLetter";
    public static final String TOPIC_ALIASES = "cohortflow.topics.aliases";
    public static final String TOPIC_SCHEMAS = "cohortflow.topics.schemas";
    public static final String TIMEOUT_MS = "cohortflow.segmentation.timeoutMs";
    public static final String MAX_EVENTS = "cohortflow.segmentation.maxEvents";
    public static final String MAX_FUTURE_SKEW = "cohortflow.segmentation.maxFutureSkew";
    public static final String HORIZON = "cohortflow.segmentation.horizon";
    public static final String MAX_NAME_LENGTH = "cohortflow.segmentation.maxNameLength";
    public static final String MAX_KEY_LENGTH = "cohortflow.segmentation.maxKeyLength";
    public static final String MAX_STRING_LENGTH = "cohortflow.segmentation.maxStringLength";
    public static final String MAX_VALUES = "cohortflow.segmentation.maxValues";
    public static final String MAX_DEPTH = "cohortflow.segmentation.maxDepth";
    public static final String MAX_EVENT_CHARS = "cohortflow.segmentation.maxEventChars";
    public static final String MAX_ALIASES = "cohortflow.segmentation.maxAliases";
    public static final String MAX_ALIAS_LENGTH = "cohortflow.segmentation.maxAliasLength";
    public static final String REQUESTS_PER_SECOND = "cohortflow.segmentation.requestsPerSecond";
    public static final String MAX_IN_FLIGHT = "cohortflow.segmentation.maxInFlight";
    public static final String WORKSPACE = "cohortflow.segmentation.workspace.";

    public static final Map<String, String> DEFAULTS =
            Map.ofEntries(
                    Map.entry(TOPIC_EVENTS, TopicNames.DEFAULT.events()),
                    Map.entry(TOPIC_REPLIES, TopicNames.DEFAULT.replies()),
                    Map.entry(TOPIC_DEAD_LETTER, TopicNames.DEFAULT.deadLetter()),
                    Map.entry(TOPIC_ALIASES, "cohortflow.aliases"),
                    Map.entry(TOPIC_SCHEMAS, "cohortflow.schemas"),
                    Map.entry(TIMEOUT_MS, "5000"),
                    Map.entry(MAX_EVENTS, "10"),
                    Map.entry(MAX_FUTURE_SKEW, EngineConfig.DEFAULT.maxFutureSkew().toString()),
                    Map.entry(HORIZON, EngineConfig.DEFAULT.horizon().toString()),
                    Map.entry(MAX_NAME_LENGTH, "" + EventLimits.DEFAULT.maxNameLength()),
                    Map.entry(MAX_KEY_LENGTH, "" + EventLimits.DEFAULT.maxKeyLength()),
                    Map.entry(MAX_STRING_LENGTH, "" + EventLimits.DEFAULT.maxStringLength()),
                    Map.entry(MAX_VALUES, "" + EventLimits.DEFAULT.maxValues()),
                    Map.entry(MAX_DEPTH, "" + EventLimits.DEFAULT.maxDepth()),
                    Map.entry(MAX_EVENT_CHARS, "" + EventLimits.DEFAULT.maxEventChars()),
                    Map.entry(MAX_ALIASES, "16"),
                    Map.entry(MAX_ALIAS_LENGTH, "512"),
                    Map.entry(REQUESTS_PER_SECOND, "2000"),
                    Map.entry(MAX_IN_FLIGHT, "256"));

    public SegmentationConfig {
        if (maxEvents < 0) {
            throw new IllegalArgumentException(MAX_EVENTS + " must be at least 0");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException(TIMEOUT_MS + " must be positive");
        }
        if (horizon.isNegative() || horizon.isZero()) {
            throw new IllegalArgumentException(HORIZON + " must be positive");
        }
        if (maxAliases < 1 || maxAliasLength < 1) {
            throw new IllegalArgumentException(
                    MAX_ALIASES + " and " + MAX_ALIAS_LENGTH + " must be at least 1");
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
                Duration.parse(s.get(MAX_FUTURE_SKEW)),
                Duration.parse(s.get(HORIZON)),
                new EventLimits(
                        Integer.parseInt(s.get(MAX_NAME_LENGTH)),
                        Integer.parseInt(s.get(MAX_KEY_LENGTH)),
                        Integer.parseInt(s.get(MAX_STRING_LENGTH)),
                        Integer.parseInt(s.get(MAX_VALUES)),
                        Integer.parseInt(s.get(MAX_DEPTH)),
                        Integer.parseInt(s.get(MAX_EVENT_CHARS))),
                Integer.parseInt(s.get(MAX_ALIASES)),
                Integer.parseInt(s.get(MAX_ALIAS_LENGTH)),
                new WorkspaceLimits.Limit(
                        Integer.parseInt(s.get(REQUESTS_PER_SECOND)),
                        Integer.parseInt(s.get(MAX_IN_FLIGHT))),
                workspaceLimits(props, s));
    }

    /** The workspaces named in {@code cohortflow.segmentation.workspace.<org>.<limit>} keys. */
    private static Map<String, WorkspaceLimits.Limit> workspaceLimits(
            Map<String, String> props, Map<String, String> settings) {
        String rate = REQUESTS_PER_SECOND.substring(REQUESTS_PER_SECOND.lastIndexOf('.'));
        String inFlight = MAX_IN_FLIGHT.substring(MAX_IN_FLIGHT.lastIndexOf('.'));
        Map<String, WorkspaceLimits.Limit> out = new TreeMap<>();
        for (String key : props.keySet()) {
            if (!key.startsWith(WORKSPACE)) {
                continue;
            }
            String rest = key.substring(WORKSPACE.length());
            if (!rest.endsWith(rate) && !rest.endsWith(inFlight)) {
                throw new IllegalArgumentException(
                        key
                                + ": a workspace's limits are "
                                + rate.substring(1)
                                + " and "
                                + inFlight.substring(1));
            }
            String org = rest.substring(0, rest.lastIndexOf('.'));
            String r =
                    props.getOrDefault(WORKSPACE + org + rate, settings.get(REQUESTS_PER_SECOND));
            String f = props.getOrDefault(WORKSPACE + org + inFlight, settings.get(MAX_IN_FLIGHT));
            out.put(org, new WorkspaceLimits.Limit(Integer.parseInt(r), Integer.parseInt(f)));
        }
        return out;
    }

    public static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_');
    }
}
