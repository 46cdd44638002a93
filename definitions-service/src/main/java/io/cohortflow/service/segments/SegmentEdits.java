package io.cohortflow.service.segments;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.service.ServiceException;
import io.cohortflow.service.auth.Principal;
import io.cohortflow.service.auth.Role;
import io.cohortflow.service.segments.SegmentService.View;
import io.cohortflow.service.store.DefinitionStore;
import io.cohortflow.service.store.StoredSegment;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * The Segments API's edits, free of HTTP: each a new immutable version written through the {@link
 * DefinitionStore} after the checks its kind needs (permissions, validation against the workspace,
 * limits, referential integrity), under the visibility rules of {@link SegmentService}.
 */
public final class SegmentEdits {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SegmentService segments;
    private final DefinitionStore store;
    private final SegmentLimits limits;
    private final Dependents dependents;
    private final Clock clock;

    SegmentEdits(
            SegmentService segments,
            DefinitionStore store,
            SegmentLimits limits,
            Dependents dependents,
            Clock clock) {
        this.segments = segments;
        this.store = store;
        this.limits = limits;
        this.dependents = dependents;
        this.clock = clock;
    }

    String now() {
        return Instant.now(clock).truncatedTo(ChronoUnit.MILLIS).toString();
    }

    static StoredSegment.Owner owner(Principal p) {
        return new StoredSegment.Owner(p.ownerId(), p.ownerName(), p.ownerLogin());
    }

    public CompletableFuture<View> create(Principal p, SegmentInput in) {
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
        in.requireTagsUnchanged(List.of()); // a new segment has none
        limits.checkInput(in);
        String id = newId(p.workspace());
        JsonNode def = segments.canonical(p, id, in.definition());
        String now = now();
        StoredSegment s =
                new StoredSegment(
                        p.workspace(),
                        id,
                        1,
                        0,
                        in.published() == null || in.published(),
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

    private static void checkExpected(StoredSegment current, @Nullable Long expected) {
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
     * PUT: a partial update; only the fields present change. Unpublishing a segment that published
     * segments reference needs {@code force}.
     */
    public CompletableFuture<View> update(Principal p, String id, SegmentInput in, boolean force) {
        StoredSegment cur = segments.editable(p, id).segment();
        SegmentService.notDeleted(cur);
        if (!force && cur.published() && Boolean.FALSE.equals(in.published())) {
            dependents.requireNone(p, cur, "unpublish", true);
        }
        checkExpected(cur, in.expectedVersion());
        in.requireTagsUnchanged(cur.tags());
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
            JsonNode def = segments.canonical(p, id, in.definition());
            b.definition = def;
        } else if (Boolean.TRUE.equals(in.published())) {
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
        return write(b.build(), cur);
    }

    /**
     * Going live: its references must still be live too (they may have changed since). The
     * definition is the stored one, unchanged: judged as stored, not for who may see what now.
     */
    private void requireLiveReferences(Principal p, String id, StoredSegment cur) {
        if (cur.definition() != null) {
            segments.canonicalStored(p.workspace(), id, cur.definition());
        }
    }

    /** Soft delete; a segment that others reference needs {@code force}. */
    public CompletableFuture<View> delete(Principal p, String id, boolean force) {
        StoredSegment cur = segments.editable(p, id).segment();
        SegmentService.notDeleted(cur);
        if (!force) {
            dependents.requireNone(p, cur, "delete", false);
        }
        StoredSegment.Builder b = cur.next("delete", owner(p), now());
        b.deleted = true;
        return write(b.build(), cur);
    }

    /** Publish or unpublish; unpublishing one that published segments reference needs force. */
    public CompletableFuture<View> publish(
            Principal p, String id, boolean published, boolean force) {
        StoredSegment cur = segments.editable(p, id).segment();
        SegmentService.notDeleted(cur);
        if (!published && !force && cur.published()) {
            dependents.requireNone(p, cur, "unpublish", true);
        }
        if (published) {
            requireLiveReferences(p, id, cur);
        }
        StoredSegment.Builder b = cur.next(published ? "publish" : "unpublish", owner(p), now());
        b.published = published;
        return write(b.build(), cur);
    }

    /**
     * A new version whose content (not tags or shares) is that of {@code version}, validated like
     * any write: the other segments have changed since, so the old definition may now close a
     * cycle, name a segment that is gone or unpublished, or exceed the guardrails; and the caller
     * restores it, so it may name only segments the caller may see now. With {@code expected}, a
     * 409 unless the segment is still at that version (someone saved since the caller looked).
     */
    public CompletableFuture<View> rollback(
            Principal p, String id, long version, @Nullable Long expected, boolean force) {
        StoredSegment cur = segments.editable(p, id).segment();
        checkExpected(cur, expected);
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
            b.definition = segments.canonical(p, id, old.definition());
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
