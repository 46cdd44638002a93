package io.cohortflow.core.config;

import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.event.EventLimits;
import java.time.Duration;
import java.util.List;

/**
 * The settings more than one part reads, declared once: the Kafka cluster, the topics between the
 * parts, and the limits on events and their times that the service checks and the job enforces (two
 * settings that had to agree were two keys before, so the service could accept an event the job
 * dead-lettered).
 */
public final class CommonSettings {
    private CommonSettings() {}

    public static final Setting<String> KAFKA_BOOTSTRAP_SERVERS =
            Setting.text(
                            "cohortflow.kafka.bootstrap-servers",
                            "127.0.0.1:9092",
                            "The Kafka cluster: host:port[,host:port...].")
                    .deprecated("kafka.bootstrap")
                    .deprecated("cohortflow.kafka.bootstrapServers");

    public static final Setting<String> TOPIC_DEFINITIONS =
            topic(
                    "definitions",
                    TopicNames.DEFAULT.definitions(),
                    "Segment definitions (compacted).");
    public static final Setting<String> TOPIC_EVENTS =
            topic("events", TopicNames.DEFAULT.events(), "Events, keyed by user.");
    public static final Setting<String> TOPIC_MEMBERSHIPS =
            topic(
                    "memberships",
                    TopicNames.DEFAULT.memberships(),
                    "Membership changes (written exactly once).");
    public static final Setting<String> TOPIC_REPLIES =
            topic("replies", TopicNames.DEFAULT.replies(), "The job's answers to requests.");
    public static final Setting<String> TOPIC_DEAD_LETTER =
            topic("dead-letter", TopicNames.DEFAULT.deadLetter(), "Refused records and why.")
                    .deprecated("cohortflow.topics.deadLetter");
    public static final Setting<String> TOPIC_APPLIED =
            topic(
                    "applied",
                    TopicNames.DEFAULT.applied(),
                    "Which definition versions the job has applied.");
    public static final Setting<String> TOPIC_ALIASES =
            Setting.text(
                    "cohortflow.topics.aliases",
                    TopicNames.DEFAULT.aliases(),
                    "Alias bindings of the segmentation API (compacted).");
    public static final Setting<String> TOPIC_SCHEMAS =
            Setting.text(
                    "cohortflow.topics.schemas",
                    TopicNames.DEFAULT.schemas(),
                    "Event schemas (compacted).");

    public static final Setting<String> TOPIC_AUDIENCES =
            Setting.text(
                    "cohortflow.topics.audiences",
                    TopicNames.DEFAULT.audiences(),
                    "Each segment's audience size and entered/exited series, from the job"
                            + " (compacted).");

    public static final Setting<String> TOPIC_ESTIMATES =
            Setting.text(
                    "cohortflow.topics.estimates",
                    TopicNames.DEFAULT.estimates(),
                    "Requests to estimate a draft's audience, read by every subtask of the job.");

    public static final Setting<String> EXPORT_DIR =
            Setting.text(
                    "cohortflow.export.dir",
                    "exports",
                    "Where members exports go (the export command writes, the service's"
                            + " GET /segments/{id}/members reads the newest).");

    public static final Setting<Duration> MAX_FUTURE_SKEW =
            Setting.duration(
                            "cohortflow.events.max-future-skew",
                            EngineConfig.DEFAULT.maxFutureSkew(),
                            true,
                            "How far ahead of the clock an event time may be. The job announces"
                                    + " its value to the service, which refuses what the job"
                                    + " would dead-letter.")
                    .deprecated("events.max-future-skew")
                    .deprecated("cohortflow.segmentation.maxFutureSkew");
    public static final Setting<Duration> HORIZON =
            Setting.duration(
                            "cohortflow.state.horizon",
                            EngineConfig.DEFAULT.horizon(),
                            false,
                            "How long an event stays in a user's history; no window sees further"
                                    + " back (validation reports a longer one batch only), and an"
                                    + " older event is refused.")
                    .deprecated("state.horizon")
                    .deprecated("cohortflow.segmentation.horizon");

    public static final Setting<Integer> MAX_NAME_LENGTH =
            limit(
                    "max-name-length",
                    EventLimits.DEFAULT.maxNameLength(),
                    "Longest event name, in characters.");
    public static final Setting<Integer> MAX_KEY_LENGTH =
            limit(
                    "max-key-length",
                    EventLimits.DEFAULT.maxKeyLength(),
                    "Longest property name, in characters.");
    public static final Setting<Integer> MAX_STRING_LENGTH =
            limit(
                    "max-string-length",
                    EventLimits.DEFAULT.maxStringLength(),
                    "Longest string value, in characters.");
    public static final Setting<Integer> MAX_VALUES =
            limit(
                    "max-values",
                    EventLimits.DEFAULT.maxValues(),
                    "Most values under an event's properties, nested ones included.");
    public static final Setting<Integer> MAX_DEPTH =
            limit(
                    "max-depth",
                    EventLimits.DEFAULT.maxDepth(),
                    "Deepest nesting of objects and lists under properties.");
    public static final Setting<Integer> MAX_EVENT_CHARS =
            limit(
                    "max-event-chars",
                    EventLimits.DEFAULT.maxEventChars(),
                    "Longest event as JSON text, in characters.");

    /** Every setting of this class, for the docs and the unknown-key check. */
    public static final List<Setting<?>> ALL =
            List.of(
                    KAFKA_BOOTSTRAP_SERVERS,
                    TOPIC_DEFINITIONS,
                    TOPIC_EVENTS,
                    TOPIC_MEMBERSHIPS,
                    TOPIC_REPLIES,
                    TOPIC_DEAD_LETTER,
                    TOPIC_APPLIED,
                    TOPIC_ALIASES,
                    TOPIC_SCHEMAS,
                    TOPIC_AUDIENCES,
                    TOPIC_ESTIMATES,
                    EXPORT_DIR,
                    MAX_FUTURE_SKEW,
                    HORIZON,
                    MAX_NAME_LENGTH,
                    MAX_KEY_LENGTH,
                    MAX_STRING_LENGTH,
                    MAX_VALUES,
                    MAX_DEPTH,
                    MAX_EVENT_CHARS);

    public static TopicNames topics(Settings s) {
        return new TopicNames(
                s.get(TOPIC_DEFINITIONS),
                s.get(TOPIC_EVENTS),
                s.get(TOPIC_MEMBERSHIPS),
                s.get(TOPIC_REPLIES),
                s.get(TOPIC_DEAD_LETTER),
                s.get(TOPIC_APPLIED),
                s.get(TOPIC_ALIASES),
                s.get(TOPIC_SCHEMAS),
                s.get(TOPIC_AUDIENCES),
                s.get(TOPIC_ESTIMATES));
    }

    public static EventLimits eventLimits(Settings s) {
        return new EventLimits(
                s.get(MAX_NAME_LENGTH),
                s.get(MAX_KEY_LENGTH),
                s.get(MAX_STRING_LENGTH),
                s.get(MAX_VALUES),
                s.get(MAX_DEPTH),
                s.get(MAX_EVENT_CHARS));
    }

    private static Setting<String> topic(String name, String defaultName, String description) {
        return Setting.text("cohortflow.topics." + name, defaultName, description)
                .deprecated("topics." + name);
    }

    /**
     * The job's old key ({@code events.max-name-length}) and the service's ({@code
     * cohortflow.segmentation.maxNameLength}) were two settings of one limit.
     */
    private static Setting<Integer> limit(String name, int defaultValue, String description) {
        return Setting.integer(
                        "cohortflow.events." + name,
                        defaultValue,
                        1,
                        Integer.MAX_VALUE,
                        description)
                .deprecated("events." + name)
                .deprecated("cohortflow.segmentation." + Setting.camelCase(name));
    }
}
