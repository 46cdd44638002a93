package io.cohortflow.core.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The part of a segment record on the definitions topic that the job reads. The service writes a
 * superset (name, owner, tags, ...); readers ignore what they do not know.
 *
 * <p>Writes are ordered by the log: a record names the version it {@code replaces} (0 for a
 * creation), and every reader applies it only when that is the version it holds, so all readers
 * agree on which of two concurrent writes won.
 *
 * @param activations activation platform to enabled, for the segmentation API's activations
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SegmentRecord(
        @JsonProperty("workspace") String workspace,
        @JsonProperty("id") String id,
        @JsonProperty("version") long version,
        @JsonProperty("replaces") long replaces,
        @JsonProperty("published") boolean published,
        @JsonProperty("deleted") boolean deleted,
        @JsonProperty("definition") @Nullable JsonNode definition,
        @JsonProperty("activations") @Nullable Map<String, Boolean> activations) {

    public String key() {
        return Keys.of(workspace, id);
    }

    /**
     * The rule every reader of the definitions log applies (the service's replicas, the job): a
     * record of version {@code version} that replaces {@code replaces} is applied only when the
     * reader holds version {@code replaces} and the record is the next one. A write based on a
     * version since replaced lost a race, and is ignored everywhere alike.
     *
     * <p>A reader that holds nothing of the segment ({@code held} 0) applies the first record it
     * reads of it, whatever it replaces: in a log read from its beginning that is the segment's
     * first version, and in a log whose older records were compacted away (the service tombstones
     * the versions past those it keeps, and the writes that lost: docs/service.md, "Compaction") it
     * is the oldest version kept, which every reader then starts from alike.
     *
     * <p>For the same reason a record based on a version newer than the one held ({@code replaces >
     * held}) is applied too: the versions between were compacted away while this reader was not
     * reading (a job restored from an old checkpoint, a replica whose replay the cleaner overtook).
     * It cannot be a write that lost: a writer bases its edit on a version read from this log, so a
     * reader that missed nothing holds that version, or a later one. Refused, the segment would
     * stay at the held version for good, since every later record names a version the reader will
     * never hold. A write that lost whose winner was compacted away is applied transiently by such
     * a reader, and the versions after it (at least the kept ones, which the log still has) replace
     * it.
     */
    public static boolean follows(long replaces, long version, long held) {
        return held == 0 ? version >= 1 : replaces >= held && version == replaces + 1;
    }

    /** {@link #follows(long, long, long)} for this record. */
    public boolean follows(long held) {
        return follows(replaces, version, held);
    }

    /** Whether the job evaluates it: published and not deleted. */
    public boolean live() {
        return published && !deleted && definition != null;
    }
}
