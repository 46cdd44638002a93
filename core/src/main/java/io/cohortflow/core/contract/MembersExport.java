package io.cohortflow.core.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A members export (docs/exports.md): the members of one workspace's segments, or of all, as the
 * job's state held them in one checkpoint or savepoint. The export command writes, under the
 * exports directory, one directory per export named by its id (ids sort by time), holding
 *
 * <ul>
 *   <li>{@code members/<workspace>/<segment>/part-*.jsonl} (or {@code .csv}): one member per line,
 *       {@link Member} as JSON, or as CSV under the header {@link #CSV_HEADER}; workspace and
 *       segment URL-encoded ({@link #segmentDir});
 *   <li>{@link #MANIFEST}, written last: an export without one is incomplete and never read.
 * </ul>
 *
 * @param id the directory's name
 * @param createdAt when the export finished (ISO 8601)
 * @param snapshot the checkpoint or savepoint read
 * @param snapshotAt when that snapshot was written (ISO 8601): the members are as of then
 * @param format {@code jsonl}, {@code csv} or {@code parquet}
 * @param workspace the workspace exported, or null for all
 * @param segments the segments exported, or null for all of the workspace's
 * @param users users read
 * @param members members written
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MembersExport(
        @JsonProperty("id") String id,
        @JsonProperty("created_at") String createdAt,
        @JsonProperty("snapshot") String snapshot,
        @JsonProperty("snapshot_at") String snapshotAt,
        @JsonProperty("format") String format,
        @JsonProperty("workspace") @Nullable String workspace,
        @JsonProperty("segments") @Nullable List<String> segments,
        @JsonProperty("users") long users,
        @JsonProperty("members") long members,
        @JsonProperty("duration_ms") long durationMs) {

    public static final String MANIFEST = "manifest.json";
    public static final String JSON_LINES = "jsonl";
    public static final String CSV = "csv";

    /**
     * Parquet, for a warehouse: files partitioned Hive-style ({@code
     * members/workspace=<ws>/segment_id=<id>/part-*.parquet}, the partition columns in the path),
     * not paged by the service.
     */
    public static final String PARQUET = "parquet";

    public static final String CSV_HEADER = "user_id,segment_id,entered_at,version";

    /** One member: the user, the segment, when they entered, the segment version they hold. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Member(
            @JsonProperty("workspace") String workspace,
            @JsonProperty("user_id") String userId,
            @JsonProperty("segment_id") String segmentId,
            @JsonProperty("entered_at") String enteredAt,
            @JsonProperty("version") long version) {

        /** The member as a CSV line (RFC 4180 quoting), without the workspace. */
        public String csv() {
            return csvField(userId) + "," + csvField(segmentId) + "," + enteredAt + "," + version;
        }

        /** A CSV line of {@link #CSV_HEADER}'s columns back as a member of {@code workspace}. */
        public static Member fromCsv(String workspace, String line) {
            List<String> f = csvFields(line);
            if (f.size() != 4) {
                throw new IllegalArgumentException("a member line has 4 fields: " + line);
            }
            return new Member(workspace, f.get(0), f.get(1), f.get(2), Long.parseLong(f.get(3)));
        }
    }

    /** Whether the service pages over this export: JSON lines and CSV, read line by line. */
    public boolean pageable() {
        return format.equals(JSON_LINES) || format.equals(CSV);
    }

    /** Whether this export holds the members of {@code segment} of {@code workspace}. */
    public boolean covers(String workspace, String segment) {
        return (this.workspace == null || this.workspace.equals(workspace))
                && (segments == null || segments.contains(segment));
    }

    /**
     * Complete exports under the exports directory {@code dir} (those with a manifest), oldest
     * first.
     */
    public static List<Path> complete(Path dir) {
        if (!java.nio.file.Files.isDirectory(dir)) {
            return List.of();
        }
        try (java.util.stream.Stream<Path> s = java.nio.file.Files.list(dir)) {
            return s.filter(p -> java.nio.file.Files.exists(p.resolve(MANIFEST)))
                    .sorted(java.util.Comparator.comparing(p -> p.getFileName().toString()))
                    .toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Where a segment's member files lie, under an export's directory. */
    public static Path segmentDir(Path export, String workspace, String segment) {
        return export.resolve("members").resolve(encode(workspace)).resolve(encode(segment));
    }

    /** The bucket of a segment's member files, relative to {@code members/}. */
    public static String bucket(String workspace, String segment) {
        return encode(workspace) + "/" + encode(segment);
    }

    private static String encode(String s) {
        // Ids are URL-safe in practice; encoded all the same, so no id can climb out of the
        // directory or collide with another ('.' and '..' included).
        String e = URLEncoder.encode(s, StandardCharsets.UTF_8);
        return e.equals(".") || e.equals("..") ? "%2E".repeat(e.length()) : e;
    }

    private static String csvField(String s) {
        if (s.indexOf(',') < 0
                && s.indexOf('"') < 0
                && s.indexOf('\n') < 0
                && s.indexOf('\r') < 0) {
            return s;
        }
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }

    private static List<String> csvFields(String line) {
        List<String> out = new java.util.ArrayList<>();
        StringBuilder b = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    b.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    b.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(b.toString());
                b.setLength(0);
            } else {
                b.append(c);
            }
        }
        out.add(b.toString());
        return out;
    }
}
