package io.cohortflow.service.segments;

import io.cohortflow.service.ServiceException;
import io.cohortflow.service.auth.Principal;
import io.cohortflow.service.store.DefinitionStore;
import io.cohortflow.service.store.StoredSegment;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * A segment's metadata besides its definition, for the Tags and Shares endpoints: each change is a
 * new version of the segment, written through {@link SegmentEdits} under {@link SegmentService}'s
 * access rules.
 */
public final class SegmentMetadata {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SegmentService segments;
    private final SegmentEdits edits;
    private final DefinitionStore store;
    private final SegmentLimits limits;

    SegmentMetadata(
            SegmentService segments,
            SegmentEdits edits,
            DefinitionStore store,
            SegmentLimits limits) {
        this.segments = segments;
        this.edits = edits;
        this.store = store;
        this.limits = limits;
    }

    /** Tags of one segment, for the Tags API. */
    public record TagItem(String componentId, List<StoredSegment.Tag> tags) {}

    /** A share with the segment it belongs to. */
    public record ShareView(String componentId, StoredSegment.Share share) {}

    // ---- tags ----

    /** A tag's id: derived from workspace and name, so replicas and restarts agree on it. */
    public static long tagId(String workspace, String name) {
        try {
            byte[] d =
                    MessageDigest.getInstance("SHA-256")
                            .digest(
                                    (workspace + "\u0000" + name.toLowerCase(Locale.ROOT))
                                            .getBytes(StandardCharsets.UTF_8));
            long v = 0;
            for (int i = 0; i < 6; i++) {
                v = (v << 8) | (d[i] & 0xff);
            }
            return v + 1;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every tag used by a segment the caller can see, by name. */
    public List<StoredSegment.Tag> tags(Principal p) {
        Map<String, StoredSegment.Tag> byName = new LinkedHashMap<>();
        store.all(p.workspace()).stream()
                .map(DefinitionStore.Entry::segment)
                .filter(s -> !s.deleted() && SegmentService.canSee(p, s))
                // The most recently changed segment's spelling and description of a name win.
                .sorted(SegmentList.BY_MODIFIED)
                .forEach(
                        s ->
                                s.tags()
                                        .forEach(
                                                t ->
                                                        byName.put(
                                                                t.name().toLowerCase(Locale.ROOT),
                                                                t)));
        return byName.values().stream()
                .sorted(Comparator.comparing(t -> t.name().toLowerCase(Locale.ROOT)))
                .toList();
    }

    public List<TagItem> tagsOf(Principal p, List<String> ids) {
        return ids.stream()
                .map(id -> new TagItem(id, segments.get(p, id).segment().tags()))
                .toList();
    }

    /** Tag input: a name and optional description. */
    public record TagInput(String name, @Nullable String description) {}

    /** One item of a tags write: the tags one segment is to have. */
    public record TagItemInput(String componentId, List<TagInput> tags) {}

    /**
     * The most segments one tags request may name (the items of {@code PUT .../tagitems}, the
     * {@code componentIds} of the others): each named segment is a write of its own, chained after
     * the one before.
     */
    public static final int MAX_COMPONENTS = 100;

    /**
     * Replaces the tags of each segment of {@code items}, one write per segment in order, each its
     * own compare-and-set. At most {@link #MAX_COMPONENTS} items (400 {@code limit_exceeded}), each
     * segment named once (400 {@code invalid_body}: two items for one segment would leave it
     * whichever came last, after a useless write), tag names as {@link #checkTagNames} requires.
     * Every item is checked (access, limits) before any is written.
     */
    public CompletableFuture<List<TagItem>> setTags(Principal p, List<TagItemInput> items) {
        if (items.size() > MAX_COMPONENTS) {
            String message =
                    items.size()
                            + " items; a tags write sets at most "
                            + MAX_COMPONENTS
                            + " segments";
            throw new ServiceException(
                    400,
                    "limit_exceeded",
                    message,
                    List.of(SegmentInput.problem("", "too_many", message)));
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            String id = items.get(i).componentId();
            if (!seen.add(id)) {
                String pointer = "/" + i + "/componentId";
                String message = "segment " + id + " is named twice; give each segment one item";
                throw new ServiceException(
                        400,
                        "invalid_body",
                        message,
                        List.of(SegmentInput.problem(pointer, "duplicate", message)));
            }
        }
        checkTagNames(items);
        return inOrder(p, items);
    }

    /**
     * The one rule for a tag's name: not blank, and without a comma. Tags are found by name through
     * comma-delimited lists ({@code tagNames} of {@code GET /segments} and {@code GET
     * /componentmetadata/tags/tagnames}), so a name with a comma could be written but never found.
     * (Its length is a limit: {@link SegmentLimits#checkTags}.)
     */
    private static void checkTagNames(List<TagItemInput> items) {
        List<Map<String, Object>> problems = new ArrayList<>();
        // Ten tell what is wrong; a body of thousands of bad names need not be echoed whole.
        for (int i = 0; i < items.size() && problems.size() < 10; i++) {
            List<TagInput> tags = items.get(i).tags();
            for (int j = 0; j < tags.size() && problems.size() < 10; j++) {
                String name = tags.get(j).name();
                String pointer = "/" + i + "/tags/" + j + "/name";
                if (name.isBlank()) {
                    problems.add(
                            SegmentInput.problem(
                                    pointer, "invalid_value", "a tag's name cannot be blank"));
                } else if (name.indexOf(',') >= 0) {
                    problems.add(
                            SegmentInput.problem(
                                    pointer,
                                    "invalid_value",
                                    "a tag's name cannot contain ',': tagNames lists are"
                                            + " comma-delimited, so it could not be found"));
                }
            }
        }
        if (!problems.isEmpty()) {
            String first = (String) problems.get(0).get("message");
            throw new ServiceException(
                    400,
                    "invalid_body",
                    problems.size() == 1 ? first : "tag names are refused; the first: " + first,
                    problems);
        }
    }

    /**
     * Removes every tag of each segment named, one write per segment that has tags; every segment
     * is checked before any is written.
     *
     * @param ids distinct, at most {@link #MAX_COMPONENTS} (the request's parameter is bounded so)
     */
    public CompletableFuture<Void> removeTags(Principal p, List<String> ids) {
        return inOrder(p, ids.stream().map(id -> new TagItemInput(id, List.of())).toList())
                .thenApply(t -> null);
    }

    /** Checks every item (access, limits), then writes them one after the other. */
    private CompletableFuture<List<TagItem>> inOrder(Principal p, List<TagItemInput> items) {
        for (TagItemInput item : items) {
            tagged(p, segments.editable(p, item.componentId()).segment(), item.tags());
        }
        CompletableFuture<List<TagItem>> all = CompletableFuture.completedFuture(new ArrayList<>());
        for (TagItemInput item : items) {
            all =
                    all.thenCompose(
                            acc ->
                                    setTags(p, item.componentId(), item.tags())
                                            .thenApply(
                                                    t -> {
                                                        acc.add(t);
                                                        return acc;
                                                    }));
        }
        return all;
    }

    /** Replaces the tags of one segment; no new version when it has those tags already. */
    private CompletableFuture<TagItem> setTags(Principal p, String id, List<TagInput> tags) {
        StoredSegment cur = segments.editable(p, id).segment();
        StoredSegment.Builder b = cur.next("tags", SegmentEdits.owner(p), edits.now());
        b.tags = tagged(p, cur, tags);
        if (!b.changes()) {
            // Unchanged tags write no version, as no other edit that changes nothing does (the
            // rule is Builder.changes); the answer is the same as a write's.
            return CompletableFuture.completedFuture(new TagItem(id, cur.tags()));
        }
        return edits.writeWithinBudget(b.build(), cur)
                .thenApply(e -> new TagItem(id, e.segment().tags()));
    }

    /**
     * The tags segment {@code cur} (one the caller may edit) would have once set to {@code tags},
     * checked (it is not deleted, the tags are within the limits): one tag per name, ignoring case,
     * the last given winning.
     */
    private List<StoredSegment.Tag> tagged(Principal p, StoredSegment cur, List<TagInput> tags) {
        SegmentService.notDeleted(cur);
        limits.checkTags(tags);
        Map<String, StoredSegment.Tag> byName = new LinkedHashMap<>();
        for (TagInput t : tags) {
            String name = t.name().trim();
            byName.put(
                    name.toLowerCase(Locale.ROOT),
                    new StoredSegment.Tag(tagId(p.workspace(), name), name, t.description()));
        }
        return List.copyOf(byName.values());
    }

    // ---- shares ----

    public List<ShareView> shares(Principal p, String id) {
        SegmentService.View v = segments.get(p, id);
        return v.segment().shares().stream().map(s -> new ShareView(id, s)).toList();
    }

    /**
     * Shares segment {@code id} with a user ({@code shareToType} {@code user}, {@code shareToId} a
     * positive owner id) or the whole workspace ({@code all}, {@code shareToId} ignored). Sharing
     * again with the same target answers the share made first and writes nothing: its {@code
     * shareId} is what a client keeps to unshare, and a new one would invalidate it.
     */
    public CompletableFuture<ShareView> share(
            Principal p, String id, long shareToId, String shareToType) {
        if (!shareToType.equals("user") && !shareToType.equals("all")) {
            throw ServiceException.badRequest("invalid_value", "shareToType must be user or all");
        }
        if (shareToType.equals("user") && shareToId < 1) {
            String message = "shareToId must be the positive id of a user, got " + shareToId;
            throw new ServiceException(
                    400,
                    "invalid_body",
                    message,
                    List.of(SegmentInput.problem("/shareToId", "invalid_value", message)));
        }
        StoredSegment cur = segments.editable(p, id).segment();
        SegmentService.notDeleted(cur);
        long target = shareType(shareToType, shareToId);
        for (StoredSegment.Share s : cur.shares()) {
            if (s.shareToType().equals(shareToType) && s.shareToId() == target) {
                return CompletableFuture.completedFuture(new ShareView(id, s));
            }
        }
        long sid = (RANDOM.nextLong() >>> 12) + 1;
        StoredSegment.Share share = new StoredSegment.Share(sid, target, shareToType, edits.now());
        List<StoredSegment.Share> list = new ArrayList<>(cur.shares());
        list.add(share);
        limits.checkShares(list.size());
        StoredSegment.Builder b = cur.next("shares", SegmentEdits.owner(p), edits.now());
        b.shares = list;
        return edits.writeWithinBudget(b.build(), cur).thenApply(e -> new ShareView(id, share));
    }

    private static long shareType(String type, long id) {
        return type.equals("all") ? 0 : id;
    }

    /** Removes a share; its segment must not be deleted (404 {@code deleted}), as for any write. */
    public CompletableFuture<Void> unshare(Principal p, long shareId) {
        DefinitionStore.Entry holder =
                store.all(p.workspace()).stream()
                        .filter(
                                e ->
                                        e.segment().shares().stream()
                                                .anyMatch(s -> s.shareId() == shareId))
                        .findFirst()
                        .orElseThrow(() -> ServiceException.notFound("share " + shareId));
        StoredSegment cur = segments.editable(p, holder.segment().id()).segment();
        SegmentService.notDeleted(cur);
        StoredSegment.Builder b = cur.next("shares", SegmentEdits.owner(p), edits.now());
        b.shares = cur.shares().stream().filter(s -> s.shareId() != shareId).toList();
        return edits.writeWithinBudget(b.build(), cur).thenApply(e -> null);
    }

    public List<ShareView> sharedToMe(Principal p) {
        List<ShareView> out = new ArrayList<>();
        store.all(p.workspace()).stream()
                .map(DefinitionStore.Entry::segment)
                .filter(s -> !s.deleted() && s.owner().id() != p.ownerId())
                .sorted(Comparator.comparing(StoredSegment::id))
                .forEach(
                        s ->
                                s.shares().stream()
                                        .filter(sh -> SegmentService.sharesWith(sh, p))
                                        .forEach(sh -> out.add(new ShareView(s.id(), sh))));
        return out;
    }
}
