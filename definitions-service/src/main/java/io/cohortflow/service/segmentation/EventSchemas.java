package io.cohortflow.service.segmentation;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.ExecutionContext;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.ValidationLimitExceededException;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.service.ServiceException;
import io.cohortflow.service.kafka.CompactedTable;
import io.cohortflow.service.store.StoreUnavailableException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Event schemas: one JSON Schema per event name per workspace, checked with networknt's
 * json-schema-validator (draft 2020-12 unless the schema's {@code $schema} says otherwise; see
 * {@link SchemaCompiler}). Stored like definitions, in a compacted topic read back by every
 * replica; the last write wins and a delete is a tombstone. An event whose name has no schema is
 * not checked: schemas are opt-in.
 */
public final class EventSchemas implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventSchemas.class);

    /**
     * One schema record. The schema validates the whole event ({@code name}, {@code time}, ...).
     */
    public record EventSchema(
            @JsonProperty("workspace") String workspace,
            @JsonProperty("name") String name,
            @JsonProperty("schema") JsonNode schema,
            @JsonProperty("version") long version,
            @JsonProperty("created") String created,
            @JsonProperty("modified") String modified) {}

    private record Compiled(long version, String modified, Schema schema) {}

    private final CompactedTable<EventSchema> table;

    /** Checks what clients write and compiles what is stored. */
    private final SchemaCompiler compiler = new SchemaCompiler();

    /**
     * Compiled schemas by {@code workspace/name}. An entry whose schema was deleted or replaced
     * (here or on another replica) is stale: {@link #sweep} removes those whenever the map has
     * doubled since the last sweep, so it holds at most about twice the live schemas (plus {@link
     * #SWEEP_FLOOR}) however many are put, used and deleted.
     */
    private final Map<String, Compiled> compiled = new ConcurrentHashMap<>();

    /** Entries below which the compiled schemas are never swept. */
    static final int SWEEP_FLOOR = 64;

    /** The size of {@link #compiled} past which the next compilation sweeps it. */
    private final AtomicInteger sweepAt = new AtomicInteger(SWEEP_FLOOR);

    private final int maxSchemas;

    /**
     * @param maxSchemas schemas one workspace may hold; a {@link #put} of one more is refused
     */
    public EventSchemas(String bootstrap, String topic, Duration writeTimeout, int maxSchemas) {
        this.maxSchemas = maxSchemas;
        this.table =
                new CompactedTable<>(
                        bootstrap, topic, EventSchema.class, (cur, inc) -> inc, writeTimeout);
    }

    public void start(Duration timeout) {
        table.start(timeout);
    }

    public Optional<EventSchema> get(String workspace, String name) {
        return table.get(Keys.of(workspace, name));
    }

    public List<EventSchema> list(String workspace) {
        String prefix = Keys.of(workspace, "");
        List<EventSchema> out = table.values(k -> k.startsWith(prefix));
        out.sort(Comparator.comparing(EventSchema::name));
        return out;
    }

    /**
     * The property paths ({@code a}, {@code a.b}) the schemas of {@code workspace} declare under an
     * event's {@code properties}, nested objects (and the objects of arrays) included; null when
     * the workspace has no schema (schemas are opt-in: nothing is then unknown).
     */
    public @Nullable Set<String> declaredAttributes(String workspace) {
        List<EventSchema> all = list(workspace);
        if (all.isEmpty()) {
            return null;
        }
        Set<String> out = new java.util.HashSet<>();
        for (EventSchema s : all) {
            declared(s.schema().path("properties").path("properties"), "", out, 0);
        }
        return out;
    }

    /** The paths under {@code schema} (an object schema), each after {@code prefix}. */
    private static void declared(JsonNode schema, String prefix, Set<String> out, int depth) {
        JsonNode props = schema.path("properties");
        if (!props.isObject() || depth > 16) {
            return; // a schema is the client's: its nesting is bounded here too
        }
        props.fields()
                .forEachRemaining(
                        p -> {
                            String path = prefix + p.getKey();
                            out.add(path);
                            JsonNode child = p.getValue();
                            declared(child, path + ".", out, depth + 1);
                            declared(child.path("items"), path + ".", out, depth + 1);
                        });
    }

    /** Compiles {@code schema} or throws a 400 saying why it is not a usable JSON Schema. */
    public void check(JsonNode schema) {
        compiler.check(schema);
    }

    /**
     * Creates or replaces; completes with the stored record once this replica has read it back. A
     * new name in a workspace that holds {@code maxSchemas} already is a 409 {@code
     * too_many_schemas}. The count is this replica's view: writes racing on several replicas (or on
     * one) may pass it by their number, as many as there are at once.
     */
    public CompletableFuture<EventSchema> put(String workspace, String name, JsonNode schema) {
        EventSchema prev = get(workspace, name).orElse(null);
        if (prev == null) {
            int held = list(workspace).size();
            if (held >= maxSchemas) {
                throw ServiceException.withDetail(
                        409,
                        "too_many_schemas",
                        "a workspace holds at most "
                                + maxSchemas
                                + " event schemas; delete one before adding another",
                        "workspace " + workspace + ": " + held + " schemas");
            }
        }
        check(schema);
        String now = Instant.now().toString();
        EventSchema s =
                new EventSchema(
                        workspace,
                        name,
                        schema,
                        prev == null ? 1 : prev.version() + 1,
                        prev == null ? now : prev.created(),
                        now);
        return confirmed(table.write(Keys.of(workspace, name), s)).thenApply(o -> o.orElse(s));
    }

    /**
     * A write the log did not confirm (in time, or at all) fails as the store's, whose outcome the
     * client must re-read: 503 {@code store_unavailable}, not a 500.
     */
    private static <T> CompletableFuture<T> confirmed(CompletableFuture<T> write) {
        return write.exceptionallyCompose(
                e -> {
                    Throwable c = io.cohortflow.service.Failures.cause(e);
                    return CompletableFuture.failedFuture(
                            new StoreUnavailableException(
                                    c instanceof java.util.concurrent.TimeoutException
                                            ? "the schemas log did not confirm the write in time"
                                            : "the schemas log refused the write",
                                    c));
                });
    }

    public CompletableFuture<Boolean> delete(String workspace, String name) {
        if (get(workspace, name).isEmpty()) {
            return CompletableFuture.completedFuture(false);
        }
        String key = Keys.of(workspace, name);
        // Other replicas' compiled forms go at their next sweep.
        return confirmed(table.write(key, null))
                .thenApply(
                        o -> {
                            compiled.remove(key);
                            return true;
                        });
    }

    /**
     * The keywords one event's validation may evaluate, and how deep: a schema of a few KB whose
     * {@code allOf}s each name the next level twice evaluated 2^40 keywords per event (and, where a
     * leaf fails, gathered as many errors: the heap's end), and {@code {"$ref":"#"}} recursed until
     * the stack overflowed. The library counts both once asked to; events of the sizes the limits
     * allow take a few thousand steps.
     */
    static final long MAX_EVALUATION_STEPS = 200_000;

    static final int MAX_EVALUATION_DEPTH = 256;

    /**
     * The violations of {@code event} against its name's schema ("/properties/url: required
     * property ... not found"), empty when valid or when the name has no schema; its patterns draw
     * on {@code budget}, which the caller shares between the events of one request (there is no
     * entry point with a budget of its own: one per event let a request cost that many budgets).
     * When the budget runs out (now, or on an earlier event) the event is not checked, or not to
     * the end, and its one violation says so: refused rather than let through unchecked, since the
     * schema's author asked for a check.
     */
    public List<String> violations(String workspace, JsonNode event, ValidationBudget budget) {
        JsonNode name = event.get("name");
        if (name == null || !name.isTextual()) {
            return List.of();
        }
        Optional<EventSchema> s = get(workspace, name.textValue());
        if (s.isEmpty()) {
            return List.of();
        }
        return violations(s.get(), event, budget);
    }

    /**
     * The violations of {@code event} against {@code es}, its patterns drawing on {@code budget}.
     */
    List<String> violations(EventSchema es, JsonNode event, ValidationBudget budget) {
        if (budget.exhausted()) {
            return List.of(overBudget(budget, null));
        }
        String key = Keys.of(es.workspace(), es.name());
        try {
            // Compiled inside the try: a schema stored before a check was added may not load.
            Compiled c = compiled.get(key);
            if (c == null || c.version() != es.version() || !c.modified().equals(es.modified())) {
                Schema schema = compiler.compile(es.schema());
                c = new Compiled(es.version(), es.modified(), schema);
                compiled.put(key, c);
                if (compiled.size() > sweepAt.get()) {
                    sweep();
                }
            }
            Schema schema = c.schema();
            List<Error> errors =
                    BoundedRegex.within(
                            budget,
                            () ->
                                    schema.validate(
                                            event.toString(),
                                            InputFormat.JSON,
                                            (ExecutionContext x) ->
                                                    x.executionConfig(
                                                            b ->
                                                                    b.maxEvaluationSteps(
                                                                                    MAX_EVALUATION_STEPS)
                                                                            .maxEvaluationDepth(
                                                                                    MAX_EVALUATION_DEPTH))));
            if (budget.exhausted()) {
                // A keyword that caught the refusal and went on: its answer is not a check.
                return List.of(overBudget(budget, null));
            }
            return errors.stream().map(SchemaCompiler::describe).toList();
        } catch (ValidationLimitExceededException e) {
            return List.of(
                    ": the schema needs more than "
                            + (e.getLimitKind()
                                            == ValidationLimitExceededException.LimitKind
                                                    .EVALUATION_DEPTH
                                    ? MAX_EVALUATION_DEPTH + " nested evaluations"
                                    : MAX_EVALUATION_STEPS + " evaluation steps")
                            + " on this event, so the event could not be checked");
        } catch (BoundedRegex.TooCostly e) {
            if (e.budget()) {
                return List.of(overBudget(budget, e.pattern()));
            }
            return List.of(
                    ": the schema's pattern "
                            + e.pattern()
                            + " needs more than "
                            + BoundedRegex.MAX_READS
                            + " steps on a value of this event, so the event could not be checked");
        } catch (RuntimeException e) {
            // A schema stored before a check was added may not compile now: refuse the event
            // rather than fail the request with a 500 or let it through unchecked.
            LOG.warn("the event schema {} could not be used", key, e);
            return List.of(": its event schema could not be used; write the schema again");
        }
    }

    /**
     * Removes the compiled schemas whose schema is no longer the table's (deleted, or replaced by a
     * later version), then lets the map double before the next sweep: amortised, a compilation pays
     * for it. Racing compilations may sweep twice; nothing is lost but a compiled form, which is
     * compiled again when next needed.
     */
    private void sweep() {
        compiled.entrySet()
                .removeIf(
                        e -> {
                            EventSchema live = table.get(e.getKey()).orElse(null);
                            return live == null
                                    || live.version() != e.getValue().version()
                                    || !live.modified().equals(e.getValue().modified());
                        });
        sweepAt.set(Math.max(SWEEP_FLOOR, 2 * compiled.size()));
    }

    /** Compiled schemas held, for tests. */
    int compiledCount() {
        return compiled.size();
    }

    private static String overBudget(ValidationBudget budget, @Nullable String pattern) {
        return ": validation exceeded its budget: the schemas' patterns may read "
                + budget.total()
                + " characters of one request's values in all"
                + (pattern == null ? "" : ", and the schema's pattern " + pattern + " needed more")
                + ", so the event could not be checked";
    }

    /** The table's reader, for readiness. */
    public io.cohortflow.service.kafka.Follower<String, byte[]> follower() {
        return table.follower();
    }

    @Override
    public void close() {
        table.close();
    }
}
