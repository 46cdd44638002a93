package io.cohortflow.service.config;

import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.service.auth.ApiKeys;
import io.cohortflow.service.auth.Role;
import io.cohortflow.service.segments.SegmentLimits;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import javax.annotation.Nullable;

/**
 * The service's whole configuration: every key, its default and its parsing live here, so the
 * launcher, the tests and the docs agree. Values come from one properties file, then environment
 * variables ({@code cohortflow.limits.concurrent} is overridden by {@code
 * COHORTFLOW_LIMITS_CONCURRENT}), then nothing else.
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
        List<ApiKeys.Entry> apiKeys) {

    public static final String HOST = "cohortflow.service.host";
    public static final String PORT = "cohortflow.service.port";
    public static final String MAX_BODY_BYTES = "cohortflow.service.maxBodyBytes";
    public static final String BOOTSTRAP = "cohortflow.kafka.bootstrapServers";
    public static final String CREATE_TOPICS = "cohortflow.kafka.createTopics";
    public static final String TOPIC_DEFINITIONS = "cohortflow.topics.definitions";
    public static final String TOPIC_APPLIED = "cohortflow.topics.applied";
    public static final String REQUESTS_PER_MINUTE = "cohortflow.limits.requestsPerMinute";
    public static final String CONCURRENT = "cohortflow.limits.concurrent";
    public static final String WRITE_TIMEOUT_MS = "cohortflow.store.writeTimeoutMs";
    public static final String STARTUP_TIMEOUT_MS = "cohortflow.store.startupTimeoutMs";
    public static final String MAX_VERSIONS = "cohortflow.store.maxVersions";
    public static final String MAX_RECORD_BYTES = "cohortflow.store.maxRecordBytes";
    public static final String MAX_NAME_CHARS = "cohortflow.segments.maxNameChars";
    public static final String MAX_DESCRIPTION_CHARS = "cohortflow.segments.maxDescriptionChars";
    public static final String MAX_TAGS = "cohortflow.segments.maxTags";
    public static final String MAX_TAG_CHARS = "cohortflow.segments.maxTagChars";
    public static final String MAX_TAG_DESCRIPTION_CHARS =
            "cohortflow.segments.maxTagDescriptionChars";
    public static final String MAX_CATEGORIES = "cohortflow.segments.maxCategories";
    public static final String MAX_CATEGORY_CHARS = "cohortflow.segments.maxCategoryChars";
    public static final String MAX_ACTIVATIONS = "cohortflow.segments.maxActivations";
    public static final String MAX_SHARES = "cohortflow.segments.maxShares";
    public static final String MAX_DEFINITION_BYTES = "cohortflow.segments.maxDefinitionBytes";
    public static final String MAX_RESOLVED_PREDICATES =
            "cohortflow.segments.maxResolvedPredicates";
    public static final String DATA_VIEWS = "cohortflow.dataViews";

    /** Prefix of key entries: {@code cohortflow.apiKeys.<name>.key|keyHash|org|role|...}. */
    public static final String API_KEYS = "cohortflow.apiKeys.";

    /**
     * The environment variables that provision a full-rights key at start (docs/architecture.md,
     * "Defaults").
     */
    public static final String ENV_API_KEY = "COHORTFLOW_API_KEY";

    public static final String ENV_API_TOKEN = "COHORTFLOW_API_TOKEN";
    public static final String ENV_ORG = "COHORTFLOW_ORG";

    /** The defaults, in one place. */
    public static final Map<String, String> DEFAULTS =
            Map.ofEntries(
                    Map.entry(HOST, "127.0.0.1"),
                    Map.entry(PORT, "8080"),
                    Map.entry(MAX_BODY_BYTES, "262144"),
                    Map.entry(BOOTSTRAP, "127.0.0.1:9092"),
                    Map.entry(CREATE_TOPICS, "true"),
                    Map.entry(TOPIC_DEFINITIONS, TopicNames.DEFAULT.definitions()),
                    Map.entry(TOPIC_APPLIED, TopicNames.DEFAULT.applied()),
                    Map.entry(REQUESTS_PER_MINUTE, "60"),
                    Map.entry(CONCURRENT, "6"),
                    Map.entry(WRITE_TIMEOUT_MS, "10000"),
                    Map.entry(STARTUP_TIMEOUT_MS, "60000"),
                    Map.entry(MAX_VERSIONS, "50"),
                    Map.entry(MAX_RECORD_BYTES, "" + SegmentLimits.DEFAULT.maxRecordBytes()),
                    Map.entry(MAX_NAME_CHARS, "" + SegmentLimits.DEFAULT.maxNameChars()),
                    Map.entry(
                            MAX_DESCRIPTION_CHARS,
                            "" + SegmentLimits.DEFAULT.maxDescriptionChars()),
                    Map.entry(MAX_TAGS, "" + SegmentLimits.DEFAULT.maxTags()),
                    Map.entry(MAX_TAG_CHARS, "" + SegmentLimits.DEFAULT.maxTagChars()),
                    Map.entry(
                            MAX_TAG_DESCRIPTION_CHARS,
                            "" + SegmentLimits.DEFAULT.maxTagDescriptionChars()),
                    Map.entry(MAX_CATEGORIES, "" + SegmentLimits.DEFAULT.maxCategories()),
                    Map.entry(MAX_CATEGORY_CHARS, "" + SegmentLimits.DEFAULT.maxCategoryChars()),
                    Map.entry(MAX_ACTIVATIONS, "" + SegmentLimits.DEFAULT.maxActivations()),
                    Map.entry(MAX_SHARES, "" + SegmentLimits.DEFAULT.maxShares()),
                    Map.entry(
                            MAX_DEFINITION_BYTES, "" + SegmentLimits.DEFAULT.maxDefinitionBytes()),
                    Map.entry(
                            MAX_RESOLVED_PREDICATES,
                            "" + SegmentLimits.DEFAULT.maxResolvedPredicates()),
                    Map.entry(DATA_VIEWS, "default:Default data view"));

    public ServiceConfig {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(PORT + " must be 0..65535, got " + port);
        }
        if (requestsPerMinute < 1 || concurrentRequests < 1) {
            throw new IllegalArgumentException("rate limits must be at least 1");
        }
        if (maxVersions < 1) {
            throw new IllegalArgumentException(MAX_VERSIONS + " must be at least 1");
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
        return from(Map.of(), Map.of());
    }

    /** Reads {@code file} (when present) and then the environment. */
    public static ServiceConfig load(@Nullable Path file, Map<String, String> env) {
        Map<String, String> props = new HashMap<>();
        if (file != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file)) {
                p.load(r);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read configuration " + file, e);
            }
            p.stringPropertyNames().forEach(k -> props.put(k, p.getProperty(k).trim()));
        }
        return from(props, env);
    }

    /** The environment variable that overrides {@code key}. */
    public static String envName(String key) {
        return key.replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT);
    }

    public static ServiceConfig from(Map<String, String> props, Map<String, String> env) {
        Map<String, String> v = new HashMap<>(DEFAULTS);
        v.putAll(props);
        for (String key : new TreeSet<>(DEFAULTS.keySet())) {
            String e = env.get(envName(key));
            if (e != null && !e.isBlank()) {
                v.put(key, e.trim());
            }
        }
        TopicNames t = TopicNames.DEFAULT;
        TopicNames topics =
                new TopicNames(
                        v.get(TOPIC_DEFINITIONS),
                        t.events(),
                        t.memberships(),
                        t.replies(),
                        t.deadLetter(),
                        v.get(TOPIC_APPLIED));
        return new ServiceConfig(
                v.get(HOST),
                integer(v, PORT),
                v.get(BOOTSTRAP),
                topics,
                bool(v, CREATE_TOPICS),
                integer(v, REQUESTS_PER_MINUTE),
                integer(v, CONCURRENT),
                integer(v, MAX_BODY_BYTES),
                Duration.ofMillis(integer(v, WRITE_TIMEOUT_MS)),
                Duration.ofMillis(integer(v, STARTUP_TIMEOUT_MS)),
                integer(v, MAX_VERSIONS),
                new SegmentLimits(
                        integer(v, MAX_NAME_CHARS),
                        integer(v, MAX_DESCRIPTION_CHARS),
                        integer(v, MAX_TAGS),
                        integer(v, MAX_TAG_CHARS),
                        integer(v, MAX_TAG_DESCRIPTION_CHARS),
                        integer(v, MAX_CATEGORIES),
                        integer(v, MAX_CATEGORY_CHARS),
                        integer(v, MAX_ACTIVATIONS),
                        integer(v, MAX_SHARES),
                        integer(v, MAX_DEFINITION_BYTES),
                        integer(v, MAX_RECORD_BYTES),
                        integer(v, MAX_RESOLVED_PREDICATES)),
                dataViews(v.get(DATA_VIEWS)),
                apiKeys(props, env));
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

    private static List<ApiKeys.Entry> apiKeys(Map<String, String> props, Map<String, String> env) {
        List<ApiKeys.Entry> keys = new ArrayList<>();
        TreeSet<String> names = new TreeSet<>();
        for (String k : props.keySet()) {
            if (k.startsWith(API_KEYS)) {
                String rest = k.substring(API_KEYS.length());
                int dot = rest.indexOf('.');
                if (dot > 0) {
                    names.add(rest.substring(0, dot));
                }
            }
        }
        for (String name : names) {
            String p = API_KEYS + name + ".";
            String org = require(props, p + "org");
            String keyHash = props.get(p + "keyHash");
            String key = props.get(p + "key");
            if ((keyHash == null) == (key == null)) {
                throw new IllegalArgumentException(
                        "API key '" + name + "' needs exactly one of " + p + "key or keyHash");
            }
            String token = props.get(p + "token");
            String tokenHash = props.get(p + "tokenHash");
            String owner = props.get(p + "ownerId");
            long ownerId = owner == null ? ownerOf(name) : Long.parseLong(owner.trim());
            String ownerName = props.getOrDefault(p + "ownerName", name);
            String ownerLogin = props.getOrDefault(p + "ownerLogin", name + "@" + org);
            Role role = Role.parse(props.getOrDefault(p + "role", "read"));
            String kh = keyHash != null ? keyHash : ApiKeys.hash(key);
            String th = tokenHash != null ? tokenHash : token != null ? ApiKeys.hash(token) : null;
            keys.add(new ApiKeys.Entry(name, kh, th, org, ownerId, ownerName, ownerLogin, role));
        }
        String envKey = env.get(ENV_API_KEY);
        if (envKey != null && !envKey.isBlank()) {
            String org = env.getOrDefault(ENV_ORG, "default");
            String token = env.get(ENV_API_TOKEN);
            keys.add(
                    new ApiKeys.Entry(
                            "env",
                            ApiKeys.hash(envKey.trim()),
                            token == null || token.isBlank() ? null : ApiKeys.hash(token.trim()),
                            org,
                            1,
                            "Administrator",
                            "admin@" + org,
                            Role.ADMIN));
        }
        return keys;
    }

    /**
     * The owner id of a key configured without one: its own, derived from its name (stable across
     * restarts and edits of the other keys). With one default for all (it was 1, the environment's
     * administrator), every write key owned every other key's segments. 53 bits, so that a
     * JavaScript client reads it exactly.
     */
    static long ownerOf(String keyName) {
        java.util.UUID u =
                java.util.UUID.nameUUIDFromBytes(
                        ("cohortflow api key " + keyName)
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        long id = u.getMostSignificantBits() & 0x1F_FFFF_FFFF_FFFFL;
        return id <= 1 ? id + 2 : id; // never the environment administrator's 1
    }

    private static String require(Map<String, String> props, String key) {
        String v = props.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("missing configuration key " + key);
        }
        return v;
    }

    private static int integer(Map<String, String> v, String key) {
        try {
            return Integer.parseInt(v.get(key).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be an integer, got " + v.get(key));
        }
    }

    private static boolean bool(Map<String, String> v, String key) {
        String s = v.get(key).trim().toLowerCase(Locale.ROOT);
        if (!s.equals("true") && !s.equals("false")) {
            throw new IllegalArgumentException(key + " must be true or false, got " + s);
        }
        return Boolean.parseBoolean(s);
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
                apiKeys);
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
                apiKeys);
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
                apiKeys);
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
                keys);
    }
}
