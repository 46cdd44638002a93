package io.cohortflow.service.store;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.Keys;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One record of the definitions topic as the service writes it: a superset of core's {@code
 * SegmentRecord} (same names for the fields the job reads) plus everything the Segments API shows.
 * Immutable; each edit is a new record with {@code version = replaces + 1}.
 *
 * <p>A record holds one version only. Its previous versions are the earlier records of the log
 * (every write has a key of its own, so compaction never removes one), replayed by {@link
 * DefinitionStore}: a record's size is bounded by its own fields, however often it was edited.
 * Records written before carried a {@code history} array of past versions; readers ignore it.
 *
 * @param change what this version did: create, update, delete, publish, unpublish, tags, shares,
 *     rollback
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StoredSegment(
        @JsonProperty("workspace") String workspace,
        @JsonProperty("id") String id,
        @JsonProperty("version") long version,
        @JsonProperty("replaces") long replaces,
        @JsonProperty("published") boolean published,
        @JsonProperty("deleted") boolean deleted,
        @JsonProperty("definition") @Nullable JsonNode definition,
        @JsonProperty("activations") @Nullable Map<String, Boolean> activations,
        @JsonProperty("name") String name,
        @JsonProperty("description") @Nullable String description,
        @JsonProperty("rsid") String rsid,
        @JsonProperty("owner") Owner owner,
        @JsonProperty("tags") List<Tag> tags,
        @JsonProperty("categories") List<String> categories,
        @JsonProperty("shares") List<Share> shares,
        @JsonProperty("created") String created,
        @JsonProperty("modified") String modified,
        @JsonProperty("definitionLastModified") String definitionLastModified,
        @JsonProperty("modifiedBy") Owner modifiedBy,
        @JsonProperty("change") String change) {

    public StoredSegment {
        tags = tags == null ? List.of() : List.copyOf(tags);
        categories = categories == null ? List.of() : List.copyOf(categories);
        shares = shares == null ? List.of() : List.copyOf(shares);
    }

    /** Adobe's owner object. */
    public record Owner(
            @JsonProperty("id") long id,
            @JsonProperty("name") String name,
            @JsonProperty("login") String login) {}

    /** A tag; its id is derived from the workspace and the name, so every replica agrees. */
    public record Tag(
            @JsonProperty("id") long id,
            @JsonProperty("name") String name,
            @JsonProperty("description") @Nullable String description) {}

    /**
     * A share of the segment.
     *
     * @param shareToType {@code user} (to the owner id {@code shareToId}) or {@code all} (the whole
     *     workspace)
     */
    public record Share(
            @JsonProperty("shareId") long shareId,
            @JsonProperty("shareToId") long shareToId,
            @JsonProperty("shareToType") String shareToType,
            @JsonProperty("created") String created) {}

    public String key() {
        return Keys.of(workspace, id);
    }

    /** This version with another (equal) definition instance: versions share unchanged ones. */
    StoredSegment withDefinition(@Nullable JsonNode shared) {
        return new StoredSegment(
                workspace,
                id,
                version,
                replaces,
                published,
                deleted,
                shared,
                activations,
                name,
                description,
                rsid,
                owner,
                tags,
                categories,
                shares,
                created,
                modified,
                definitionLastModified,
                modifiedBy,
                change);
    }

    /**
     * The next version of this segment: the caller fills the content, this fills the bookkeeping
     * (version, replaces, modified, definitionLastModified).
     */
    public Builder next(String change, Owner by, String now) {
        return new Builder(this, change, by, now);
    }

    /**
     * Whether two definitions are the same JSON. A definition read back from the log and the
     * canonical form of the same one sent again may hold a number in different node types (an int
     * and a long are unequal nodes), so unequal trees are compared as their JSON.
     */
    static boolean sameDefinition(@Nullable JsonNode a, @Nullable JsonNode b) {
        return Objects.equals(a, b)
                || a != null && b != null && Arrays.equals(Json.bytes(a), Json.bytes(b));
    }

    /**
     * Whether two activations are the same; none is the empty map, as a read answers it ({@code
     * {}}), so that sending back what a read answered is no change.
     */
    private static boolean sameActivations(
            @Nullable Map<String, Boolean> a, @Nullable Map<String, Boolean> b) {
        return Objects.equals(a == null ? Map.of() : a, b == null ? Map.of() : b);
    }

    /** Mutable only while one edit is composed. */
    public static final class Builder {
        private final StoredSegment base;
        private final String change;
        private final Owner by;
        private final String now;
        public boolean published;
        public boolean deleted;
        public @Nullable JsonNode definition;
        public @Nullable Map<String, Boolean> activations;
        public String name;
        public @Nullable String description;
        public String rsid;
        public List<Tag> tags;
        public List<String> categories;
        public List<Share> shares;

        Builder(StoredSegment base, String change, Owner by, String now) {
            this.base = base;
            this.change = change;
            this.by = by;
            this.now = now;
            published = base.published;
            deleted = base.deleted;
            definition = base.definition;
            activations = base.activations;
            name = base.name;
            description = base.description;
            rsid = base.rsid;
            tags = base.tags;
            categories = base.categories;
            shares = base.shares;
        }

        /**
         * Whether the version {@link #build} would make differs from the one it replaces in what a
         * version stores (its content, tags and shares), leaving out the bookkeeping every version
         * has of its own (version, replaces, modified, modifiedBy, change). An edit that changes
         * nothing is not written: a version per unchanged write would only grow the log and push
         * real versions out of the kept ones.
         */
        public boolean changes() {
            return published != base.published
                    || deleted != base.deleted
                    || !sameDefinition(definition, base.definition)
                    || !sameActivations(activations, base.activations)
                    || !Objects.equals(name, base.name)
                    || !Objects.equals(description, base.description)
                    || !Objects.equals(rsid, base.rsid)
                    || !Objects.equals(tags, base.tags)
                    || !Objects.equals(categories, base.categories)
                    || !Objects.equals(shares, base.shares);
        }

        public StoredSegment build() {
            return new StoredSegment(
                    base.workspace,
                    base.id,
                    base.version + 1,
                    base.version,
                    published,
                    deleted,
                    definition,
                    activations,
                    name,
                    description,
                    rsid,
                    base.owner,
                    tags,
                    categories,
                    shares,
                    base.created,
                    now,
                    sameDefinition(definition, base.definition) ? base.definitionLastModified : now,
                    by,
                    change);
        }
    }
}
