package io.cohortflow.service.segments;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.service.ServiceException;
import io.cohortflow.service.Timestamps;
import io.cohortflow.service.auth.Principal;
import io.cohortflow.service.auth.Role;
import io.cohortflow.service.segments.SegmentService.View;
import io.cohortflow.service.store.DefinitionStore;
import io.cohortflow.service.store.StoredSegment;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ForkJoinPool;
import org.jspecify.annotations.Nullable;

/**
 * The Segments API's edits, free of HTTP: each a new immutable version written through the {@link
 * DefinitionStore} after the checks its kind needs (permissions, validation against the workspace
 * ({@link DefinitionChecks}), limits, referential integrity), under the visibility rules of {@link
 * SegmentService}. An update or (un)publish that would leave the segment as it is writes nothing
 * and answers the current version.
 *
 * <p>An edit of an existing segment may state which version it is based on, twice over: the body's
 * {@code version} (409 {@code version_conflict} when it is not current) and the versions an {@code
 * If-Match} names ({@code ifMatch}: 412 {@code precondition_failed} when none is current; null when
 * there is no condition). Both are checked in {@link #checkExpected}, before anything else about
 * the edit, a no-op included.
 */
public final class SegmentEdits {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SegmentService segments;
    private final DefinitionChecks checks;
    private final DefinitionStore store;
    private final SegmentLimits limits;
    private final Dependents dependents;
    private final Clock clock;
    private final WorkspaceTurns turns = new WorkspaceTurns(ForkJoinPool.commonPool());

    SegmentEdits(
            SegmentService segments,
            DefinitionChecks checks,
            DefinitionStore store,
            SegmentLimits limits,
            Dependents dependents,
            Clock clock) {
        this.segments = segments;
        this.checks = checks;
        this.store = store;
        this.limits = limits;
        this.dependents = dependents;
        this.clock = clock;
    }

    String now() {
        return Timestamps.format(Instant.now(clock));
    }

    static StoredSegment.Owner owner(Principal p) {
        return new StoredSegment.Owner(p.ownerId(), p.ownerName(), p.ownerLogin());
    }

    public CompletableFuture<View> create(Principal p, SegmentInput in) {
        return turns.next(p.workspace(), () -> createNow(p, in));
    }

    private CompletableFuture<View> createNow(Principal p, SegmentInput in) {
        if (!p.can(Role.WRITE)) {
            throw ServiceException.forbidden("this API key has the read role only");
        }
        List<Map<String, Object>> missing = new ArrayList<>();
        if (in.name() == null) {
            missing.add(SegmentInput.problem("/name", "required", "name is required"));
        }
        if (in.rsid() == null) {
            missing.add(SegmentInput.problem("/rsid", "required", "rsid is required"));
        }
        if (in.definition() == null) {
            missing.add(SegmentInput.problem("/definition", "required", "definition is required"));
        }
        if (!missing.isEmpty()) {
            throw new ServiceException(
                    400, "missing_field", missing.get(0).get("message") + "", missing);
        }
        segments.requireDataView(in.rsid());
        boolean published = in.published() == null || in.published();
        in.requireTagsUnchanged(List.of()); // a new segment has none
        in.requireStatusUnchanged(published);
        limits.checkInput(in);
        String id = newId(p.workspace());
        JsonNode def = checks.canonical(p, id, in.definition());
        String now = now();
        StoredSegment s =
                new StoredSegment(
                        p.workspace(),
                        id,
                        1,
                        0,
                        published,
                        false,
                        def,
                        in.activations(),
                        in.name(),
                        in.description(),
                        in.rsid(),
                        owner(p),
                        List.of(),
                        in.categories() == null ? List.of() : in.categories(),
                        List.of(),
                        now,
                        now,
                        now,
                        owner(p),
                        "create");
        return write(s, null);
    }

    /** Writes a version within the record budget (see {@link SegmentLimits}). */
    CompletableFuture<DefinitionStore.Entry> writeWithinBudget(
            StoredSegment next, @Nullable StoredSegment current) {
        if (!next.change().equals("delete")) {
            limits.checkRecord(next, current);
        }
        return store.write(next);
    }

    private CompletableFuture<View> write(StoredSegment next, @Nullable StoredSegment current) {
        return writeWithinBudget(next, current)
                .thenApply(e -> new View(e.segment(), e.offset(), false));
    }

    /**
     * The one rule of an edit's expectations: the segment must still be at the version the caller
     * based the edit on, as {@code If-Match} names it (412) and as the body's {@code version} does
     * (409).
     *
     * @param ifMatch the versions an If-Match names; null when there is no condition
     */
    private static void checkExpected(
            StoredSegment current, @Nullable Long expected, @Nullable Set<Long> ifMatch) {
        if (ifMatch != null && !ifMatch.contains(current.version())) {
            throw new ServiceException(
                    412,
                    "precondition_failed",
                    "segment "
                            + current.id()
                            + " is at version "
                            + current.version()
                            + " (ETag \""
                            + current.version()
                            + "\"), which If-Match does not name; nothing was changed");
        }
        if (expected != null && expected != current.version()) {
            throw new ServiceException(
                    409,
                    "version_conflict",
                    "segment "
                            + current.id()
                            + " is at version "
                            + current.version()
                            + ", not "
                            + expected);
        }
    }

    /**
     * Writes {@code next} unless it changes nothing (see {@link StoredSegment.Builder#changes}):
     * then the answer is the current version, as a write's would be.
     */
    private CompletableFuture<View> writeIfChanged(
            StoredSegment.Builder next, DefinitionStore.Entry current) {
        if (!next.changes()) {
            return CompletableFuture.completedFuture(
                    new View(current.segment(), current.offset(), false));
        }
        return write(next.build(), current.segment());
    }

    /**
     * PUT: a partial update; only the fields present change. Unpublishing a segment that published
     * segments reference needs {@code force}.
     */
    public CompletableFuture<View> update(
            Principal p, String id, SegmentInput in, @Nullable Set<Long> ifMatch, boolean force) {
        if (in.definition() == null && in.published() == null) {
            // Names, descriptions, activations: no other segment's check reads them.
            return updateNow(p, id, in, ifMatch, force);
        }
        return turns.next(p.workspace(), () -> updateNow(p, id, in, ifMatch, force));
    }

    private CompletableFuture<View> updateNow(
            Principal p, String id, SegmentInput in, @Nullable Set<Long> ifMatch, boolean force) {
        DefinitionStore.Entry entry = segments.editable(p, id);
        StoredSegment cur = entry.segment();
        SegmentService.notDeleted(cur);
        // Before any other check: a caller whose view is stale learns that first, not what the
        // segments referencing this one or the body's content would make of the edit now.
        checkExpected(cur, in.expectedVersion(), ifMatch);
        if (!force && cur.published() && Boolean.FALSE.equals(in.published())) {
            dependents.requireNone(p, cur, "unpublish", true);
        }
        in.requireTagsUnchanged(cur.tags());
        in.requireStatusUnchanged(cur.published());
        limits.checkInput(in);
        StoredSegment.Builder b = cur.next("update", owner(p), now());
        if (in.name() != null) {
            b.name = in.name();
        }
        if (in.hasDescription()) {
            b.description = in.description();
        }
        if (in.rsid() != null) {
            segments.requireDataView(in.rsid());
            b.rsid = in.rsid();
        }
        if (in.definition() != null) {
            JsonNode def = checks.canonical(p, id, in.definition());
            b.definition = def;
        } else if (Boolean.TRUE.equals(in.published()) && !cur.published()) {
            requireLiveReferences(p, id, cur); // going live, as through publish
        }
        if (in.published() != null) {
            b.published = in.published();
        }
        if (in.categories() != null) {
            b.categories = in.categories();
        }
        if (in.activations() != null) {
            b.activations = in.activations();
        }
        return writeIfChanged(b, entry);
    }

    /**
     * Going live: its references must still be live too (they may have changed since). The
     * definition is the stored one, unchanged: judged as stored, not for who may see what now.
     */
    private void requireLiveReferences(Principal p, String id, StoredSegment cur) {
        if (cur.definition() != null) {
            checks.canonicalStored(p.workspace(), id, cur.definition());
        }
    }

    /** Soft delete; a segment that others reference needs {@code force}. */
    public CompletableFuture<View> delete(
            Principal p, String id, @Nullable Set<Long> ifMatch, boolean force) {
        return turns.next(p.workspace(), () -> deleteNow(p, id, ifMatch, force));
    }

    private CompletableFuture<View> deleteNow(
            Principal p, String id, @Nullable Set<Long> ifMatch, boolean force) {
        StoredSegment cur = segments.editable(p, id).segment();
        SegmentService.notDeleted(cur);
        checkExpected(cur, null, ifMatch);
        if (!force) {
            dependents.requireNone(p, cur, "delete", false);
        }
        StoredSegment.Builder b = cur.next("delete", owner(p), now());
        b.deleted = true;
        return write(b.build(), cur);
    }

    /**
     * Publish or unpublish; unpublishing one that published segments reference needs force. A
     * segment that is so already is left as it is (no new version).
     */
    public CompletableFuture<View> publish(
            Principal p, String id, boolean published, @Nullable Set<Long> ifMatch, boolean force) {
        return turns.next(p.workspace(), () -> publishNow(p, id, published, ifMatch, force));
    }

    private CompletableFuture<View> publishNow(
            Principal p, String id, boolean published, @Nullable Set<Long> ifMatch, boolean force) {
        DefinitionStore.Entry entry = segments.editable(p, id);
        StoredSegment cur = entry.segment();
        SegmentService.notDeleted(cur);
        checkExpected(cur, null, ifMatch);
        if (!published && !force && cur.published()) {
            dependents.requireNone(p, cur, "unpublish", true);
        }
        if (published && !cur.published()) {
            requireLiveReferences(p, id, cur); // going live
        }
        StoredSegment.Builder b = cur.next(published ? "publish" : "unpublish", owner(p), now());
        b.published = published;
        return writeIfChanged(b, entry);
    }

    /**
     * A new version whose content (not tags or shares) is that of {@code version}, validated like
     * any write: the other segments have changed since, so the old definition may now close a
     * cycle, name a segment that is gone or unpublished, or exceed the guardrails; and the caller
     * restores it, so it may name only segments the caller may see now. With {@code expected}, a
     * 409 unless the segment is still at that version (someone saved since the caller looked); with
     * {@code ifMatch}, a 412 unless it names that version.
     */
    public CompletableFuture<View> rollback(
            Principal p,
            String id,
            long version,
            @Nullable Long expected,
            @Nullable Set<Long> ifMatch,
            boolean force) {
        return turns.next(
                p.workspace(), () -> rollbackNow(p, id, version, expected, ifMatch, force));
    }

    private CompletableFuture<View> rollbackNow(
            Principal p,
            String id,
            long version,
            @Nullable Long expected,
            @Nullable Set<Long> ifMatch,
            boolean force) {
        StoredSegment cur = segments.editable(p, id).segment();
        checkExpected(cur, expected, ifMatch);
        StoredSegment old =
                store.versions(p.workspace(), id).stream()
                        .filter(s -> s.version() == version)
                        .findFirst()
                        .orElseThrow(
                                () ->
                                        ServiceException.notFound(
                                                "version " + version + " of segment " + id));
        if (old.deleted()) {
            throw ServiceException.badRequest(
                    "invalid_version",
                    "version " + version + " is a deletion; roll back to a version before it");
        }
        segments.requireDataView(old.rsid());
        limits.checkRestored(old);
        if (!force && cur.published() && !cur.deleted() && !old.published()) {
            dependents.requireNone(p, cur, "roll back to an unpublished version", true);
        }
        StoredSegment.Builder b = cur.next("rollback", owner(p), now());
        b.name = old.name();
        b.description = old.description();
        b.rsid = old.rsid();
        b.published = old.published();
        b.deleted = false;
        b.categories = old.categories();
        b.activations = old.activations();
        if (old.definition() != null) {
            b.definition = checks.canonical(p, id, old.definition());
        }
        return write(b.build(), cur);
    }

    private static String newId(String workspace) {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return "s"
                + Integer.toUnsignedString(workspace.hashCode() % 1_000_000_000 & 0x7fffffff)
                + "_"
                + HexFormat.of().formatHex(b);
    }
}
