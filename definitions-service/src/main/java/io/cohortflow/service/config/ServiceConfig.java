package io.cohortflow.service.config;

import io.cohortflow.core.config.CommonSettings;
import io.cohortflow.core.config.Setting;
import io.cohortflow.core.config.Settings;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.service.auth.ApiKeys;
import io.cohortflow.service.segments.SegmentLimits;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Segments API's configuration: its settings (docs/configuration.md) declared here in the one
 * vocabulary of {@link Settings}, the shared ones in {@link CommonSettings}. An environment
 * variable overrides the properties file ({@code cohortflow.limits.concurrent} by {@code
 * COHORTFLOW_LIMITS_CONCURRENT}); the camel-case keys of before are read as deprecated names.
 *
 * @param host the interface to listen on; loopback by default so nothing is exposed by accident
 * @param port the HTTP port, 0 for any free one
 * @param bootstrapServers the Kafka cluster holding the definitions topic
 * @param topics the topic names; only {@code definitions} and {@code applied} are used here
 * @param createTopics whether to create the definitions and applied topics when missing
 * @param requestsPerMinute requests a minute per workspace (the spec's 60)
 * @param concurrentRequests requests in flight per workspace (the spec's 6)
 * @param maxBodyBytes the largest request body accepted (413 beyond)
 * @param writeTimeout how long a write waits for the log to acknowledge and replay it
 * @param startupTimeout how long start waits for the store to rebuild from the topic
 * @param maxVersions how many versions of each segment the store keeps in memory for the versions
 *     API (the log keeps every one)
 * @param segmentLimits how large a segment's fields and record may be
 * @param dataViews the data views (rsid to friendly name) of every workspace
 * @param apiKeys the provisioned keys, already hashed
 * @param exportDir where members exports are read from (the newest covering a segment)
 * @param compactInterval how often the store tombstones the definitions records no reader needs
 * @param horizon how far back the job's state reaches ({@code cohortflow.state.horizon}, shared
 *     with the job): a window past it is batch only, which validation reports
 */
public record ServiceConfig(
        String host,
        int port,
        String bootstrapServers,
        TopicNames topics,
        boolean createTopics,
        int requestsPerMinute,
        int concurrentRequests,
        long maxBodyBytes,
        Duration writeTimeout,
        Duration startupTimeout,
        int maxVersions,
        SegmentLimits segmentLimits,
        Map<String, String> dataViews,
        List<ApiKeys.Entry> apiKeys,
        Path exportDir,
        Duration compactInterval,
        Duration horizon) {

    public static final Setting<String> HOST =
            Setting.text(
                    "cohortflow.service.host",
                    "127.0.0.1",
                    "The interface the HTTP server listens on; loopback unless you mean it.");
    public static final Setting<Integer> PORT =
            Setting.integer(
                    "cohortflow.service.port",
                    8080,
                    0,
                    65_535,
                    "The HTTP port; 0 for any free one.");
    public static final Setting<Integer> MAX_BODY_BYTES =
            Setting.integer(
                            "cohortflow.service.max-body-bytes",
                            262_144,
                            1_024,
                            Integer.MAX_VALUE,
                            "The largest request body accepted (413 beyond).")
                    .deprecated("cohortflow.service.maxBodyBytes");
    public static final Setting<Boolean> CREATE_TOPICS =
            Setting.bool(
                            "cohortflow.kafka.create-topics",
                            true,
                            "Create the service's topics when missing (off where the deployment"
                                    + " creates them).")
                    .deprecated("cohortflow.kafka.createTopics");
    public static final Setting<Integer> REQUESTS_PER_MINUTE =
            Setting.integer(
                            "cohortflow.limits.requests-per-minute",
                            60,
                            1,
                            Integer.MAX_VALUE,
                            "Segments API requests a minute per workspace (the spec's 60).")
                    .deprecated("cohortflow.limits.requestsPerMinute");
    public static final Setting<Integer> CONCURRENT =
            Setting.integer(
                    "cohortflow.limits.concurrent",
                    6,
                    1,
                    Integer.MAX_VALUE,
                    "Segments API requests in flight per workspace (the spec's 6).");
    public static final Setting<Duration> WRITE_TIMEOUT =
            Setting.duration(
                            "cohortflow.store.write-timeout",
                            Duration.ofSeconds(10),
                            false,
                            "How long a write waits for the definitions log to take and replay it.")
                    .deprecatedMillis("cohortflow.store.writeTimeoutMs");
    public static final Setting<Duration> STARTUP_TIMEOUT =
            Setting.duration(
                            "cohortflow.store.startup-timeout",
                            Duration.ofSeconds(60),
                            false,
                            "How long start-up waits for the store to rebuild from the log.")
                    .deprecatedMillis("cohortflow.store.startupTimeoutMs");
    public static final Setting<Integer> MAX_VERSIONS =
            Setting.integer(
                            "cohortflow.store.max-versions",
                            50,
                            1,
                            10_000,
                            "Versions of each segment kept in memory for the versions API.")
                    .deprecated("cohortflow.store.maxVersions");
    public static final Setting<Duration> COMPACT_INTERVAL =
            Setting.duration(
                    "cohortflow.store.compact-interval",
                    Duration.ofMinutes(10),
                    false,
                    "How often the store tombstones the definitions records no reader needs"
                            + " (versions past max-versions, writes that lost a race), so the"
                            + " topic and start-up grow with the segments, not the edits.");
    public static final Setting<Integer> MAX_RECORD_BYTES =
            segmentLimit(
                    "cohortflow.store.max-record-bytes",
                    SegmentLimits.DEFAULT.maxRecordBytes(),
                    SegmentLimits.BROKER_LIMIT,
                    "Largest definitions record, in bytes (at least max-definition-bytes; what a"
                            + " Kafka record takes at most).");
    public static final Setting<Integer> MAX_NAME_CHARS =
            segmentLimit(
                    "cohortflow.segments.max-name-chars",
                    SegmentLimits.DEFAULT.maxNameChars(),
                    "Longest segment name.");
    public static final Setting<Integer> MAX_DESCRIPTION_CHARS =
            segmentLimit(
                    "cohortflow.segments.max-description-chars",
                    SegmentLimits.DEFAULT.maxDescriptionChars(),
                    "Longest segment description.");
    public static final Setting<Integer> MAX_TAGS =
            segmentLimit(
                    "cohortflow.segments.max-tags",
                    SegmentLimits.DEFAULT.maxTags(),
                    "Most tags on a segment.");
    public static final Setting<Integer> MAX_TAG_CHARS =
            segmentLimit(
                    "cohortflow.segments.max-tag-chars",
                    SegmentLimits.DEFAULT.maxTagChars(),
                    "Longest tag name.");
    public static final Setting<Integer> MAX_TAG_DESCRIPTION_CHARS =
            segmentLimit(
                    "cohortflow.segments.max-tag-description-chars",
                    SegmentLimits.DEFAULT.maxTagDescriptionChars(),
                    "Longest tag description.");
    public static final Setting<Integer> MAX_CATEGORIES =
            segmentLimit(
                    "cohortflow.segments.max-categories",
                    SegmentLimits.DEFAULT.maxCategories(),
                    "Most categories on a segment.");
    public static final Setting<Integer> MAX_CATEGORY_CHARS =
            segmentLimit(
                    "cohortflow.segments.max-category-chars",
                    SegmentLimits.DEFAULT.maxCategoryChars(),
                    "Longest category.");
    public static final Setting<Integer> MAX_ACTIVATIONS =
            segmentLimit(
                    "cohortflow.segments.max-activations",
                    SegmentLimits.DEFAULT.maxActivations(),
                    "Most activations on a segment.");
    public static final Setting<Integer> MAX_SHARES =
            segmentLimit(
                    "cohortflow.segments.max-shares",
                    SegmentLimits.DEFAULT.maxShares(),
                    "Most shares of a segment.");
    public static final Setting<Integer> MAX_DEFINITION_BYTES =
            segmentLimit(
                    "cohortflow.segments.max-definition-bytes",
                    SegmentLimits.DEFAULT.maxDefinitionBytes(),
                    "Largest definition JSON, in bytes.");
    public static final Setting<Integer> MAX_RESOLVED_PREDICATES =
            segmentLimit(
                    "cohortflow.segments.max-resolved-predicates",
                    SegmentLimits.DEFAULT.maxResolvedPredicates(),
                    io.cohortflow.core.definition.SegmentResolver.MAX_RESOLVED_NODES,
                    "Most predicates of a definition once its segment references are inlined.");
    public static final Setting<String> DATA_VIEWS =
            Setting.text(
                            "cohortflow.data-views",
                            "default:Default data view",
                            "Data views (rsid:friendly name, comma separated) of every workspace;"
                                    + " 'default' is always one.")
                    .deprecated("cohortflow.dataViews");

    /** The service's own settings, without the shared ones of {@link CommonSettings}. */
    public static final List<Setting<?>> OWN =
            List.of(
                    HOST,
                    PORT,
                    MAX_BODY_BYTES,
                    CREATE_TOPICS,
                    REQUESTS_PER_MINUTE,
                    CONCURRENT,
                    WRITE_TIMEOUT,
                    STARTUP_TIMEOUT,
                    MAX_VERSIONS,
                    COMPACT_INTERVAL,
                    MAX_RECORD_BYTES,
                    MAX_NAME_CHARS,
                    MAX_DESCRIPTION_CHARS,
                    MAX_TAGS,
                    MAX_TAG_CHARS,
                    MAX_TAG_DESCRIPTION_CHARS,
                    MAX_CATEGORIES,
                    MAX_CATEGORY_CHARS,
                    MAX_ACTIVATIONS,
                    MAX_SHARES,
                    MAX_DEFINITION_BYTES,
                    MAX_RESOLVED_PREDICATES,
                    DATA_VIEWS);

    /** Families of keys and variables the service reads besides its settings. */
    public static final List<String> FAMILIES =
            List.of(
                    ApiKeySettings.API_KEYS,
                    ApiKeySettings.OLD_API_KEYS,
                    ApiKeySettings.ENV_API_KEY,
                    ApiKeySettings.ENV_API_TOKEN,
                    ApiKeySettings.ENV_ORG);

    /** A segment limit; its old key was the same in camel case. */
    private static Setting<Integer> segmentLimit(String key, int defaultValue, String description) {
        return segmentLimit(key, defaultValue, Integer.MAX_VALUE, description);
    }

    private static Setting<Integer> segmentLimit(
            String key, int defaultValue, int max, String description) {
        String area = key.substring(0, key.lastIndexOf('.') + 1);
        String name = key.substring(area.length());
        return Setting.integer(key, defaultValue, 1, max, description)
                .deprecated(area + Setting.camelCase(name));
    }

    public ServiceConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(PORT + " must be 0..65535, got " + port);
        }
        if (requestsPerMinute < 1 || concurrentRequests < 1) {
            throw new IllegalArgumentException("rate limits must be at least 1");
        }
        if (!dataViews.containsKey("default")) {
            throw new IllegalArgumentException(
                    DATA_VIEWS + " must keep the data view 'default' every workspace starts with");
        }
        dataViews = Map.copyOf(dataViews);
        apiKeys = List.copyOf(apiKeys);
    }

    /** Defaults only, no keys: for tests and embedding. */
    public static ServiceConfig defaults() {
        return from(Settings.empty());
    }

    /** Properties (a file's, or a test's) under the environment. */
    public static ServiceConfig from(Map<String, String> props, Map<String, String> env) {
        return from(Settings.of(props, env));
    }

    /**
     * The Segments API's settings and the shared ones ({@code SegmentationConfig} adds its own).
     */
    public static final List<Setting<?>> ALL = concat(CommonSettings.ALL, OWN);

    private static List<Setting<?>> concat(List<Setting<?>> a, List<Setting<?>> b) {
        List<Setting<?>> all = new ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }

    public static ServiceConfig from(Settings s) {
        TopicNames topics = CommonSettings.topics(s);
        return new ServiceConfig(
                s.get(HOST),
                s.get(PORT),
                s.get(CommonSettings.KAFKA_BOOTSTRAP_SERVERS),
                topics,
                s.get(CREATE_TOPICS),
                s.get(REQUESTS_PER_MINUTE),
                s.get(CONCURRENT),
                s.get(MAX_BODY_BYTES),
                s.get(WRITE_TIMEOUT),
                s.get(STARTUP_TIMEOUT),
                s.get(MAX_VERSIONS),
                new SegmentLimits(
                        s.get(MAX_NAME_CHARS),
                        s.get(MAX_DESCRIPTION_CHARS),
                        s.get(MAX_TAGS),
                        s.get(MAX_TAG_CHARS),
                        s.get(MAX_TAG_DESCRIPTION_CHARS),
                        s.get(MAX_CATEGORIES),
                        s.get(MAX_CATEGORY_CHARS),
                        s.get(MAX_ACTIVATIONS),
                        s.get(MAX_SHARES),
                        s.get(MAX_DEFINITION_BYTES),
                        s.get(MAX_RECORD_BYTES),
                        s.get(MAX_RESOLVED_PREDICATES)),
                dataViews(s.get(DATA_VIEWS)),
                ApiKeySettings.read(s),
                Path.of(s.get(CommonSettings.EXPORT_DIR)),
                s.get(COMPACT_INTERVAL),
                s.get(CommonSettings.HORIZON));
    }

    private static Map<String, String> dataViews(String spec) {
        Map<String, String> views = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int colon = p.indexOf(':');
            String id = colon < 0 ? p : p.substring(0, colon).trim();
            String name = colon < 0 ? id : p.substring(colon + 1).trim();
            views.put(id, name);
        }
        views.putIfAbsent("default", "Default data view");
        return views;
    }

    public ServiceConfig withPort(int p) {
        return new ServiceConfig(
                host,
                p,
                bootstrapServers,
                topics,
                createTopics,
                requestsPerMinute,
                concurrentRequests,
                maxBodyBytes,
                writeTimeout,
                startupTimeout,
                maxVersions,
                segmentLimits,
                dataViews,
                apiKeys,
                exportDir,
                compactInterval,
                horizon);
    }

    public ServiceConfig withBootstrap(String b) {
        return new ServiceConfig(
                host,
                port,
                b,
                topics,
                createTopics,
                requestsPerMinute,
                concurrentRequests,
                maxBodyBytes,
                writeTimeout,
                startupTimeout,
                maxVersions,
                segmentLimits,
                dataViews,
                apiKeys,
                exportDir,
                compactInterval,
                horizon);
    }

    public ServiceConfig withLimits(int perMinute, int concurrent) {
        return new ServiceConfig(
                host,
                port,
                bootstrapServers,
                topics,
                createTopics,
                perMinute,
                concurrent,
                maxBodyBytes,
                writeTimeout,
                startupTimeout,
                maxVersions,
                segmentLimits,
                dataViews,
                apiKeys,
                exportDir,
                compactInterval,
                horizon);
    }

    public ServiceConfig withApiKeys(List<ApiKeys.Entry> keys) {
        return new ServiceConfig(
                host,
                port,
                bootstrapServers,
                topics,
                createTopics,
                requestsPerMinute,
                concurrentRequests,
                maxBodyBytes,
                writeTimeout,
                startupTimeout,
                maxVersions,
                segmentLimits,
                dataViews,
                keys,
                exportDir,
                compactInterval,
                horizon);
    }
}
