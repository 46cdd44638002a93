package io.cohortflow.service.segmentation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohortflow.core.contract.Json;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Validation against stored schemas, without a broker: the schema records are handed in as the
 * table would hold them ({@link EventSchemas#violations(EventSchemas.EventSchema, JsonNode,
 * ValidationBudget)}).
 */
class EventSchemasTest {
    /** Never started: nothing here reads or writes the topic. */
    private final EventSchemas schemas =
            new EventSchemas("127.0.0.1:1", "unused", Duration.ofSeconds(1), 1_000);

    @AfterEach
    void close() {
        schemas.close();
    }

    /**
     * A schema write the log does not confirm (here: no broker at all) is the store's 503 {@code
     * store_unavailable}, whose outcome the client re-reads, not a 500.
     */
    @Test
    void a_write_the_log_does_not_confirm_fails_as_the_stores() throws Exception {
        var schema =
                io.cohortflow.core.contract.Json.MAPPER.createObjectNode().put("type", "object");
        io.cohortflow.kafka.EmbeddedKafka kafka = io.cohortflow.kafka.EmbeddedKafka.start();
        boolean stopped = false;
        io.cohortflow.kafka.CohortflowTopics.ensure(
                kafka.bootstrapServers(), io.cohortflow.core.contract.TopicNames.DEFAULT, 1);
        try (EventSchemas onBroker =
                new EventSchemas(
                        kafka.bootstrapServers(),
                        "cohortflow.schemas",
                        Duration.ofSeconds(1),
                        10)) {
            onBroker.start(Duration.ofSeconds(30));
            onBroker.put("acme", "Click", schema).get(); // confirmed while the broker runs
            kafka.close(); // the broker gone: the next write is never confirmed
            stopped = true;
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () -> onBroker.put("acme", "Pageview", schema).get())
                    .hasCauseInstanceOf(
                            io.cohortflow.service.store.StoreUnavailableException.class);
            org.assertj.core.api.Assertions.assertThatThrownBy(
                            () -> onBroker.delete("acme", "Click").get())
                    .hasCauseInstanceOf(
                            io.cohortflow.service.store.StoreUnavailableException.class);
        } finally {
            if (!stopped) {
                kafka.close();
            }
        }
    }

    /**
     * A schema of a few KB whose every level names the next twice ({@code allOf}) is 2^40
     * evaluations per event, and one that names itself recurses until the stack overflows: each is
     * one violation saying the event could not be checked, in a moment.
     */
    @Test
    @org.junit.jupiter.api.Timeout(20)
    void a_schema_that_would_evaluate_without_end_is_one_violation_saying_so() throws Exception {
        StringBuilder defs = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            defs.append(i == 0 ? "" : ",")
                    .append("\"n")
                    .append(i)
                    .append("\":{\"allOf\":[{\"$ref\":\"#/$defs/n")
                    .append(i + 1)
                    .append("\"},{\"$ref\":\"#/$defs/n")
                    .append(i + 1)
                    .append("\"}]}");
        }
        defs.append(",\"n40\":{\"type\":\"string\"}");
        JsonNode doubling =
                Json.MAPPER.readTree("{\"$ref\":\"#/$defs/n1\",\"$defs\":{" + defs + "}}");
        JsonNode itself = Json.MAPPER.readTree("{\"properties\":{\"a\":{\"$ref\":\"#\"}}}");
        ObjectNode deep = Json.MAPPER.createObjectNode().put("name", "Boom");
        ObjectNode at = deep;
        for (int i = 0; i < 300; i++) {
            at = at.putObject("a");
        }
        for (var c :
                List.of(
                        java.util.Map.entry(doubling, event("Boom", 1, "x")),
                        java.util.Map.entry(itself, (JsonNode) deep))) {
            List<String> v =
                    schemas.violations(
                            new EventSchemas.EventSchema("acme", "Boom", c.getKey(), 1, "t0", "t0"),
                            c.getValue(),
                            new ValidationBudget());
            assertThat(v).hasSize(1);
            assertThat(v.get(0)).contains("so the event could not be checked");
        }
    }

    /** Every string property of the event must match {@code pattern}. */
    static EventSchemas.EventSchema everyValueMatches(String name, String pattern) {
        JsonNode schema =
                Json.MAPPER
                        .createObjectNode()
                        .set(
                                "properties",
                                Json.MAPPER
                                        .createObjectNode()
                                        .set(
                                                "properties",
                                                Json.MAPPER
                                                        .createObjectNode()
                                                        .set(
                                                                "additionalProperties",
                                                                Json.MAPPER
                                                                        .createObjectNode()
                                                                        .put("type", "string")
                                                                        .put("pattern", pattern))));
        return new EventSchemas.EventSchema("acme", name, schema, 1, "t0", "t0");
    }

    /** An event of {@code values} properties, each {@code value}. */
    static JsonNode event(String name, int values, String value) {
        ObjectNode e = Json.MAPPER.createObjectNode().put("name", name).put("time", "t");
        ObjectNode props = e.putObject("properties");
        for (int i = 0; i < values; i++) {
            props.put("p" + i, value);
        }
        return e;
    }

    /**
     * {@code a.*a.*b} on 190 a's takes about 3.4 million reads, under one match's bound; 1 300 such
     * values held a request thread for about 10 s, each match on a budget of its own. One budget
     * for the event stops it once the event's matches have read that much.
     */
    @Test
    void an_event_whose_many_matches_exceed_the_budget_together_is_one_violation_saying_so() {
        EventSchemas.EventSchema es = everyValueMatches("Costly", "a.*a.*b");
        ValidationBudget budget = new ValidationBudget();

        List<String> v = schemas.violations(es, event("Costly", 1_300, "a".repeat(190)), budget);

        assertThat(v).hasSize(1);
        assertThat(v.get(0))
                .contains("validation exceeded its budget")
                .contains("'a.*a.*b'")
                .contains("could not be checked");
        assertThat(budget.exhausted()).isTrue();
        assertThat(budget.remaining()).isZero();
    }

    /**
     * One budget shared by a request's events: once spent, the events after are refused without
     * being checked (no read is taken), whatever their own cost.
     */
    @Test
    void events_after_the_shared_budget_is_spent_are_refused_unchecked() {
        EventSchemas.EventSchema es = everyValueMatches("Costly", "a.*a.*b");
        ValidationBudget budget = new ValidationBudget(1_200_000);
        JsonNode cheapEach = event("Costly", 1, "a".repeat(100)); // about 500 000 reads

        List<List<String>> answers =
                List.of(
                        schemas.violations(es, cheapEach, budget),
                        schemas.violations(es, cheapEach, budget),
                        schemas.violations(es, cheapEach, budget),
                        schemas.violations(es, cheapEach, budget));

        // The first two are checked (the pattern does not match); the third runs out of the
        // budget, the fourth is refused before it starts.
        for (List<String> checked : answers.subList(0, 2)) {
            assertThat(checked)
                    .singleElement()
                    .asString()
                    .contains("/properties/p0")
                    .doesNotContain("budget");
        }
        assertThat(answers.get(2))
                .singleElement()
                .asString()
                .contains("validation exceeded its budget")
                .contains("1200000 characters")
                .contains("'a.*a.*b' needed more");
        assertThat(answers.get(3))
                .singleElement()
                .asString()
                .contains("validation exceeded its budget")
                .doesNotContain("needed more");
        assertThat(budget.remaining()).isZero();
    }

    @Test
    void cheap_events_pass_within_one_budget_and_a_valid_one_has_no_violation() {
        EventSchemas.EventSchema es = everyValueMatches("Page", "^[a-z]+$");
        ValidationBudget budget = new ValidationBudget();
        for (int i = 0; i < 10; i++) {
            assertThat(schemas.violations(es, event("Page", 500, "sport"), budget)).isEmpty();
        }
        assertThat(schemas.violations(es, event("Page", 1, "Sport!"), budget))
                .singleElement()
                .asString()
                .contains("/properties/p0");
        assertThat(budget.exhausted()).isFalse();
    }

    /** One match's own bound still applies, and says so, within a budget larger than it. */
    @Test
    void a_single_runaway_match_is_stopped_by_its_own_bound() {
        EventSchemas.EventSchema es = everyValueMatches("Runaway", "^(.*a){10}$");
        ValidationBudget budget = new ValidationBudget(10 * BoundedRegex.MAX_READS);

        List<String> v = schemas.violations(es, event("Runaway", 1, "a".repeat(40) + "!"), budget);

        assertThat(v)
                .singleElement()
                .asString()
                .contains("needs more than " + BoundedRegex.MAX_READS + " steps");
        assertThat(budget.exhausted()).isFalse();
    }

    /**
     * networknt logged each stopped match at ERROR (pattern, path and message) before passing the
     * refusal on: a client's costly schema and one request a millisecond made an ERROR line each,
     * in the service's log and whatever alerts on it. The answer says it; the log does not.
     */
    @Test
    void a_stopped_match_writes_no_error_to_the_log() {
        var context =
                (org.apache.logging.log4j.core.LoggerContext)
                        org.apache.logging.log4j.LogManager.getContext(false);
        List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        var capture =
                new org.apache.logging.log4j.core.appender.AbstractAppender(
                        "capture",
                        null,
                        null,
                        true,
                        org.apache.logging.log4j.core.config.Property.EMPTY_ARRAY) {
                    @Override
                    public void append(org.apache.logging.log4j.core.LogEvent e) {
                        logged.add(e.getLevel() + " " + e.getLoggerName());
                    }
                };
        capture.start();
        var root = context.getConfiguration().getRootLogger();
        root.addAppender(capture, org.apache.logging.log4j.Level.ALL, null);
        context.updateLoggers();
        try {
            EventSchemas.EventSchema es = everyValueMatches("Runaway", "^(.*a){10}$");
            List<String> v =
                    schemas.violations(
                            es, event("Runaway", 1, "a".repeat(40) + "!"), new ValidationBudget());
            assertThat(v).singleElement().asString().contains("needs more than");
        } finally {
            root.removeAppender("capture");
            context.updateLoggers();
        }
        assertThat(logged).noneMatch(l -> l.contains("networknt"));
    }

    /**
     * A schema put, used and deleted left its compiled form behind for good: a loop of them grew
     * the cache without bound. The table here holds none of these schemas, as after their deletes:
     * the compiled forms go, and the cache stays within its sweep's floor.
     */
    @Test
    void compiled_forms_of_schemas_no_longer_held_do_not_accumulate() {
        for (int i = 0; i < 1_000; i++) {
            EventSchemas.EventSchema es = everyValueMatches("Gone" + i, "^[a-z]+$");
            assertThat(schemas.violations(es, event("Gone" + i, 1, "ok"), new ValidationBudget()))
                    .isEmpty();
        }
        assertThat(schemas.compiledCount()).isLessThanOrEqualTo(EventSchemas.SWEEP_FLOOR + 1);
    }
}
