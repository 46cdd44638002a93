package io.cohortflow.service.segmentation;

import io.cohortflow.core.config.CommonSettings;
import io.cohortflow.core.config.InvalidSettingException;
import io.cohortflow.core.config.Setting;
import io.cohortflow.core.config.Settings;
import io.cohortflow.core.contract.EstimateRequest;
import io.cohortflow.core.contract.EventEnvelope;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.core.event.EventLimits;
import io.cohortflow.service.config.ServiceConfig;
import io.cohortflow.service.limits.WorkspaceLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The segmentation API's settings (docs/configuration.md), in the one vocabulary of {@link
 * Settings}: its own keys here, the topics and the event limits shared with the job in {@link
 * CommonSettings} (the job announces its own skew and horizon, which win once heard).
 *
 * @param topics events, replies and dead-letter topics (the job's contract)
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
 * @param estimateTimeout how long an estimate waits for every subtask's part
 * @param estimateSample users an estimate samples when the request does not say
 * @param workspaceLimits workspaces with limits of their own ({@code
 *     cohortflow.segmentation.workspace.<org>.requests-per-second} and {@code .max-in-flight}, from
 *     the properties only: an environment variable's name cannot spell every org)
 * @param maxSchemas event schemas one workspace may hold
 * @param maxBindings alias bindings one workspace may hold (every replica holds them all)
 */
public record SegmentationConfig(
        TopicNames topics,
        Duration timeout,
        Duration writeTimeout,
        int maxEvents,
        Duration maxFutureSkew,
        Duration horizon,
        EventLimits eventLimits,
        int maxAliases,
        int maxAliasLength,
        WorkspaceLimits.Limit limit,
        Duration estimateTimeout,
        int estimateSample,
        Map<String, WorkspaceLimits.Limit> workspaceLimits,
        DirectReplies directReplies,
        int maxSchemas,
        int maxBindings) {

    /**
     * Answers sent by the job straight to this replica (a TCP listener on the service's host)
     * rather than through the replies topic, which stays the way for heartbeats, estimates and any
     * answer the job cannot deliver.
     *
     * @param port 0: any free port
     * @param advertisedHost the address the job connects to; empty: the service's host, or this
     *     machine's address when the service listens on every interface
     */
    public record DirectReplies(boolean enabled, int port, String advertisedHost) {}

    public static final Setting<Duration> TIMEOUT =
            Setting.duration(
                            "cohortflow.segmentation.timeout",
                            Duration.ofSeconds(5),
                            false,
                            "How long a request waits, from its arrival (binding new aliases"
                                    + " included), for the job's answer before 504 (503 when the"
                                    + " job is not running).")
                    .deprecatedMillis("cohortflow.segmentation.timeoutMs");
    public static final Setting<Integer> MAX_EVENTS =
            Setting.integer(
                            "cohortflow.segmentation.max-events",
                            10,
                            0,
                            EventEnvelope.MAX_EVENTS,
                            "Events one request may carry (the spec's 10; the job takes at most"
                                    + " 1000 in one record).")
                    .deprecated("cohortflow.segmentation.maxEvents");
    public static final Setting<Integer> MAX_ALIASES =
            Setting.integer(
                            "cohortflow.segmentation.max-aliases",
                            16,
                            1,
                            10_000,
                            "Aliases one request may name.")
                    .deprecated("cohortflow.segmentation.maxAliases");
    public static final Setting<Integer> MAX_ALIAS_LENGTH =
            Setting.integer(
                            "cohortflow.segmentation.max-alias-length",
                            512,
                            1,
                            65_536,
                            "Characters of an alias's tag or id.")
                    .deprecated("cohortflow.segmentation.maxAliasLength");
    public static final Setting<Integer> REQUESTS_PER_SECOND =
            Setting.integer(
                            "cohortflow.segmentation.requests-per-second",
                            2_000,
                            1,
                            Integer.MAX_VALUE,
                            "Segmentation requests a second per workspace, beyond which 429.")
                    .deprecated("cohortflow.segmentation.requestsPerSecond");
    public static final Setting<Integer> MAX_IN_FLIGHT =
            Setting.integer(
                            "cohortflow.segmentation.max-in-flight",
                            256,
                            1,
                            Integer.MAX_VALUE,
                            "Segmentation requests in flight per workspace, beyond which 429.")
                    .deprecated("cohortflow.segmentation.maxInFlight");

    public static final Setting<Integer> MAX_SCHEMAS =
            Setting.integer(
                    "cohortflow.segmentation.max-schemas",
                    1_000,
                    1,
                    100_000,
                    "Event schemas one workspace may hold (one per event name); a PUT of one more"
                            + " is a 409.");

    public static final Setting<Integer> MAX_BINDINGS =
            Setting.integer(
                    "cohortflow.segmentation.max-bindings",
                    200_000,
                    1,
                    Integer.MAX_VALUE,
                    "Alias bindings one workspace may hold: every replica keeps every binding in"
                            + " its heap (0.5-3 KB each), so a client minting aliases without end"
                            + " would exhaust it; a request that would bind one more is a 409.");

    public static final Setting<Duration> ESTIMATE_TIMEOUT =
            Setting.duration(
                    "cohortflow.segmentation.estimate-timeout",
                    Duration.ofSeconds(30),
                    false,
                    "How long POST /segments/estimate waits for the job to sample and evaluate"
                            + " before 504.");
    public static final Setting<Integer> ESTIMATE_SAMPLE =
            Setting.integer(
                    "cohortflow.segmentation.estimate-sample",
                    10_000,
                    1,
                    EstimateRequest.MAX_SAMPLE,
                    "Users an estimate evaluates when the request names no sample size.");

    public static final Setting<Boolean> DIRECT_REPLIES =
            Setting.bool(
                    "cohortflow.segmentation.direct-replies",
                    true,
                    "The job sends each answer straight to the replica that waits for it (a TCP"
                            + " listener on the service's host), two Kafka hops fewer; the"
                            + " replies topic when it cannot.");
    public static final Setting<Integer> DIRECT_REPLIES_PORT =
            Setting.integer(
                    "cohortflow.segmentation.direct-replies-port",
                    0,
                    0,
                    65_535,
                    "The port of the direct replies' listener; 0 picks a free one.");
    public static final Setting<String> DIRECT_REPLIES_HOST =
            Setting.text(
                    "cohortflow.segmentation.direct-replies-host",
                    "",
                    "The address the job connects to for direct replies (a pod's IP); empty: the"
                            + " service's host, or this machine's address when that is 0.0.0.0.");

    /**
     * Limits of one workspace: {@code cohortflow.segmentation.workspace.<org>.requests-per-second}
     * and {@code .max-in-flight} (properties only: a variable's name cannot spell every org).
     */
    public static final String WORKSPACE = "cohortflow.segmentation.workspace.";

    /** The segmentation API's own settings, without the service's and the shared ones. */
    public static final List<Setting<?>> OWN =
            List.of(
                    TIMEOUT,
                    MAX_EVENTS,
                    MAX_ALIASES,
                    MAX_ALIAS_LENGTH,
                    REQUESTS_PER_SECOND,
                    MAX_IN_FLIGHT,
                    MAX_SCHEMAS,
                    MAX_BINDINGS,
                    ESTIMATE_TIMEOUT,
                    ESTIMATE_SAMPLE,
                    DIRECT_REPLIES,
                    DIRECT_REPLIES_PORT,
                    DIRECT_REPLIES_HOST);

    /**
     * Families of keys and variables the service process reads besides its settings: API keys,
     * per-workspace limits, the file's name and the JVM's options.
     */
    public static final List<String> FAMILIES =
            concat(
                    ServiceConfig.FAMILIES,
                    List.of(WORKSPACE, "COHORTFLOW_CONFIG", "COHORTFLOW_JAVA_OPTS"));

    /** Every setting the service process reads: the Segments API's, these and the shared ones. */
    public static final List<Setting<?>> ALL = concat(ServiceConfig.ALL, OWN);

    private static <T> List<T> concat(List<? extends T> a, List<? extends T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return List.copyOf(out);
    }

    public SegmentationConfig {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException(TIMEOUT + " must be positive");
        }
    }

    /** Properties (a file's, or a test's) under the environment. */
    public static SegmentationConfig from(Map<String, String> props, Map<String, String> env) {
        return from(Settings.of(props, env));
    }

    public static SegmentationConfig from(Settings s) {
        return new SegmentationConfig(
                CommonSettings.topics(s),
                s.get(TIMEOUT),
                Duration.ofSeconds(10),
                s.get(MAX_EVENTS),
                s.get(CommonSettings.MAX_FUTURE_SKEW),
                s.get(CommonSettings.HORIZON),
                CommonSettings.eventLimits(s),
                s.get(MAX_ALIASES),
                s.get(MAX_ALIAS_LENGTH),
                new WorkspaceLimits.Limit(s.get(REQUESTS_PER_SECOND), s.get(MAX_IN_FLIGHT)),
                s.get(ESTIMATE_TIMEOUT),
                s.get(ESTIMATE_SAMPLE),
                workspaceLimits(s),
                new DirectReplies(
                        s.get(DIRECT_REPLIES),
                        s.get(DIRECT_REPLIES_PORT),
                        s.get(DIRECT_REPLIES_HOST).trim()),
                s.get(MAX_SCHEMAS),
                s.get(MAX_BINDINGS));
    }

    /**
     * The workspaces named in {@code cohortflow.segmentation.workspace.<org>.<limit>} keys, each
     * limit read as a setting of its own (defaulting to the global one), so a bad value is named
     * like any other.
     */
    private static Map<String, WorkspaceLimits.Limit> workspaceLimits(Settings s) {
        Map<String, WorkspaceLimits.Limit> out = new TreeMap<>();
        String[] limits = {"requests-per-second", "max-in-flight"};
        String[] old = {"requestsPerSecond", "maxInFlight"};
        for (String key : s.withPrefix(WORKSPACE).keySet()) {
            String rest = key.substring(WORKSPACE.length());
            int dot = rest.lastIndexOf('.');
            String limit = dot < 0 ? "" : rest.substring(dot + 1);
            if (!List.of(limits).contains(limit) && !List.of(old).contains(limit)) {
                throw new InvalidSettingException(
                        key + ": a workspace's limits are " + limits[0] + " and " + limits[1]);
            }
            String org = rest.substring(0, dot);
            Setting<Integer> rate =
                    Setting.integer(WORKSPACE + org + "." + limits[0], 1, 1, Integer.MAX_VALUE, "")
                            .deprecated(WORKSPACE + org + "." + old[0])
                            .withDefault(Integer.toString(s.get(REQUESTS_PER_SECOND)));
            Setting<Integer> inFlight =
                    Setting.integer(WORKSPACE + org + "." + limits[1], 1, 1, Integer.MAX_VALUE, "")
                            .deprecated(WORKSPACE + org + "." + old[1])
                            .withDefault(Integer.toString(s.get(MAX_IN_FLIGHT)));
            out.put(org, new WorkspaceLimits.Limit(s.get(rate), s.get(inFlight)));
        }
        return out;
    }
}
