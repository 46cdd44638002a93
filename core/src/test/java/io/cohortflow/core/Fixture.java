package io.cohortflow.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cohortflow.core.definition.Definition;
import io.cohortflow.core.definition.DefinitionParser;
import io.cohortflow.core.eval.CompiledSegment;
import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.eval.EventHistory;
import io.cohortflow.core.eval.ListHistory;
import io.cohortflow.core.eval.MembershipChange;
import io.cohortflow.core.eval.MemoryChunks;
import io.cohortflow.core.eval.ProfileHistory;
import io.cohortflow.core.eval.SegmentCatalog;
import io.cohortflow.core.eval.SegmentEngine;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.event.Event;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One user, a catalog and the engine, for tests. After every operation it checks that the engine's
 * memberships equal the reference evaluator's answer over the whole history.
 */
public final class Fixture {
    public static final ObjectMapper JSON = new ObjectMapper();
    public static final long T0 = Instant.parse("2024-01-15T00:00:00Z").toEpochMilli();
    public static final long MINUTE = 60_000L;
    public static final long HOUR = 60 * MINUTE;
    public static final long DAY = 24 * HOUR;

    public final SegmentEngine engine;
    public SegmentCatalog catalog = SegmentCatalog.empty();
    public UserProfile profile = new UserProfile();
    public final ListHistory history = new ListHistory();
    private long version;

    public Fixture() {
        this(EngineConfig.DEFAULT);
    }

    public Fixture(EngineConfig config) {
        this.engine = new SegmentEngine(config);
    }

    public static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Definition def(String json) {
        DefinitionParser.Result r = DefinitionParser.parse(json(json));
        assertThat(r.problems())
                .as("problems parsing %s", json)
                .filteredOn(p -> p.isError())
                .isEmpty();
        return r.definition();
    }

    /** A visitors-context definition around one predicate. */
    public static String visitors(String pred) {
        return "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\",\"context\":\"visitors\",\"pred\":"
                + pred
                + "}}";
    }

    public static Event ev(String name, long time, Object... kv) {
        Map<String, Object> props = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            Object v = kv[i + 1];
            props.put((String) kv[i], v instanceof Integer n ? (double) n : v);
        }
        return new Event(name, time, props, null, null);
    }

    /**
     * Definitions changes reach the user only with the next event, lapse or {@link #catchUp}, as in
     * the job (else each change is applied at once, as the job's sweep would).
     */
    public boolean lazy;

    /**
     * The history in chunks ({@link ProfileHistory}, as the job keeps it): the newest in the
     * profile, sealed ones in {@link #chunks}; else one entry per event in {@link #history}.
     */
    public boolean chunked;

    public final MemoryChunks chunks = new MemoryChunks();

    /** The user's history as the engine sees it (see {@link #chunked}). */
    public EventHistory h() {
        return chunked ? ProfileHistory.of(profile, history, chunks) : history;
    }

    /** A change not yet applied to the user: the answers are the previous catalog's. */
    private boolean stale;

    public List<MembershipChange> define(String id, String json) {
        SegmentCatalog.Update u = catalog.put(id, ++version, def(json));
        assertThat(u.problems()).isEmpty();
        catalog = u.catalog();
        return changed();
    }

    public List<MembershipChange> remove(String id) {
        SegmentCatalog.Update u = catalog.remove(id);
        catalog = u.catalog();
        return changed();
    }

    private List<MembershipChange> changed() {
        if (lazy) {
            stale = true;
            return List.of();
        }
        return catchUp();
    }

    /** What the job's sweep does for a user with no events of their own. */
    public List<MembershipChange> catchUp() {
        List<MembershipChange> c = engine.catchUp(profile, h(), catalog);
        stale = false;
        checkAgreement();
        return c;
    }

    public List<MembershipChange> send(Event... events) {
        List<MembershipChange> all = new ArrayList<>();
        for (Event e : events) {
            all.addAll(engine.onEvents(profile, h(), catalog, List.of(e)).changes());
            stale = false;
            checkAgreement();
        }
        return all;
    }

    public List<MembershipChange> advanceTo(long t) {
        List<MembershipChange> c = engine.advanceTo(profile, h(), catalog, t);
        stale = false;
        checkAgreement();
        return c;
    }

    public boolean member(String id) {
        return engine.cohorts(profile, catalog).contains(id);
    }

    public List<String> cohorts() {
        return engine.cohorts(profile, catalog);
    }

    /**
     * Incremental answers must equal evaluation from scratch, for every live segment (once the user
     * has caught up with the catalog).
     */
    public void checkAgreement() {
        if (stale) {
            return;
        }
        for (CompiledSegment s : catalog.segments()) {
            boolean scratch = engine.holdsFromScratch(profile, h(), s);
            assertThat(member(s.id()))
                    .as(
                            "segment %s (incremental=%s) at now=%d",
                            s.id(), s.incremental(), profile.now())
                    .isEqualTo(scratch);
        }
    }
}
