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
import io.cohortflow.core.eval.Membership;
import io.cohortflow.core.eval.MembershipChange;
import io.cohortflow.core.eval.MemoryChunks;
import io.cohortflow.core.eval.MemoryLog;
import io.cohortflow.core.eval.ProfileCodec;
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

    private final EngineConfig config;

    public Fixture(EngineConfig config) {
        this.config = config;
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

    /**
     * The membership rows kept in a log ({@link UserProfile#keepMembershipsIn}, as the job keeps
     * them), or null: in the profile.
     */
    public MemoryLog log;

    /**
     * The same user with the rows in the profile, sent every operation this one is: the two must
     * emit the same changes and hold the same memberships at every step. Null for none.
     */
    public Fixture twin;

    /**
     * A user with the rows in a log, and a twin holding them in the profile (see {@link #twin}).
     */
    public void logMemberships() {
        log = new MemoryLog();
        profile.keepMembershipsIn(log);
        twin = new Fixture(config);
        twin.lazy = lazy;
        twin.chunked = chunked;
    }

    /**
     * Stores the profile and reads it back, as the job does around every operation: its membership
     * changes into the log, then its binary form. With a twin, checks that both hold the same
     * memberships, read back from the log (the profile itself keeps them unread).
     */
    public void roundTrip() {
        profile.storeMemberships();
        profile = ProfileCodec.fromBytes(ProfileCodec.toBytes(profile));
        if (log != null) {
            profile.keepMembershipsIn(log);
        }
        if (twin != null) {
            twin.roundTrip();
            UserProfile reread = ProfileCodec.fromBytes(ProfileCodec.toBytes(profile));
            reread.keepMembershipsIn(log);
            Map<String, Membership> held = reread.memberships(catalog);
            assertThat(held)
                    .as("memberships read from the log")
                    .isEqualTo(twin.profile.memberships(twin.catalog));
            assertThat(
                            held.entrySet().stream()
                                    .filter(e -> e.getValue().member())
                                    .map(Map.Entry::getKey)
                                    .toList())
                    .as("members by the log and by the profile's bits")
                    .isEqualTo(cohorts());
            assertThat(profile.nextExpiry()).isEqualTo(twin.profile.nextExpiry());
            assertThat(profile.isEmpty()).isEqualTo(twin.profile.isEmpty());
        }
    }

    private <T> T same(T mine, T twins) {
        assertThat(mine).as("changes with the rows in a log and in the profile").isEqualTo(twins);
        return mine;
    }

    /** A change not yet applied to the user: the answers are the previous catalog's. */
    private boolean stale;

    public List<MembershipChange> define(String id, String json) {
        if (twin != null) {
            twin.put(id, json);
        }
        put(id, json);
        return changed();
    }

    public List<MembershipChange> remove(String id) {
        if (twin != null) {
            twin.drop(id);
        }
        drop(id);
        return changed();
    }

    private void put(String id, String json) {
        SegmentCatalog.Update u = catalog.put(id, ++version, def(json));
        assertThat(u.problems()).isEmpty();
        catalog = u.catalog();
        stale = true;
    }

    private void drop(String id) {
        catalog = catalog.remove(id).catalog();
        stale = true;
    }

    private List<MembershipChange> changed() {
        if (lazy) {
            return List.of();
        }
        return catchUp();
    }

    /** What the job's sweep does for a user with no events of their own. */
    public List<MembershipChange> catchUp() {
        List<MembershipChange> twins = twin == null ? null : twin.catchUp();
        List<MembershipChange> c = engine.catchUp(profile, h(), catalog);
        stale = false;
        checkAgreement();
        return twin == null ? c : same(c, twins);
    }

    public List<MembershipChange> send(Event... events) {
        List<MembershipChange> all = new ArrayList<>();
        for (Event e : events) {
            List<MembershipChange> c = engine.onEvents(profile, h(), catalog, List.of(e)).changes();
            all.addAll(twin == null ? c : same(c, twin.send(e)));
            stale = false;
            checkAgreement();
        }
        return all;
    }

    public List<MembershipChange> advanceTo(long t) {
        List<MembershipChange> twins = twin == null ? null : twin.advanceTo(t);
        List<MembershipChange> c = engine.advanceTo(profile, h(), catalog, t);
        stale = false;
        checkAgreement();
        return twin == null ? c : same(c, twins);
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
