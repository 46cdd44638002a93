package io.cohortflow.core.contract;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A user entered or exited a segment: {@code change} is {@code entered} or {@code exited}, {@code
 * time} the event time (ISO 8601) at which it happened, {@code version} the definition version.
 */
public record MembershipRecord(
        @JsonProperty("workspace") String workspace,
        @JsonProperty("user_id") String userId,
        @JsonProperty("segment_id") String segmentId,
        @JsonProperty("change") String change,
        @JsonProperty("time") String time,
        @JsonProperty("version") long version) {

    public String key() {
        return Keys.of(workspace, userId);
    }

    /** The record as JSON: see {@link Writer}, which writes it. */
    public byte[] toJson() {
        return new Writer(workspace, userId).json(segmentId, change, time, version);
    }

    /**
     * Writes the membership records of one user as JSON, the same as {@link Json#bytes} writes once
     * read (characters outside the BMP go out as UTF-8, not as escaped surrogate pairs). The job
     * writes one record per membership change, often dozens for one event, all of one user and most
     * at one instant: the parts they share are encoded once, and plain ASCII text (ids, times) is
     * copied byte for byte. The general writer's cost, then a per-record string builder's, showed
     * in the job's profile.
     */
    public static final class Writer {
        private static final byte[] WORKSPACE = ascii("{\"workspace\":\"");
        private static final byte[] USER = ascii("\",\"user_id\":\"");
        private static final byte[] SEGMENT = ascii("\",\"segment_id\":\"");
        private static final byte[] CHANGE = ascii("\",\"change\":\"");
        private static final byte[] TIME = ascii("\",\"time\":\"");
        private static final byte[] VERSION = ascii("\",\"version\":");

        private final byte[] head;
        private byte[] buffer = new byte[256];
        private int size;
        private String lastTime = "";
        private byte[] lastTimeBytes = new byte[0];

        public Writer(String workspace, String userId) {
            size = 0;
            put(WORKSPACE);
            text(workspace);
            put(USER);
            text(userId);
            head = java.util.Arrays.copyOf(buffer, size);
        }

        public byte[] json(String segmentId, String change, String time, long version) {
            size = 0;
            put(head);
            put(SEGMENT);
            text(segmentId);
            put(CHANGE);
            text(change);
            put(TIME);
            if (!time.equals(lastTime)) {
                int from = size;
                text(time);
                lastTime = time;
                lastTimeBytes = java.util.Arrays.copyOfRange(buffer, from, size);
            } else {
                put(lastTimeBytes);
            }
            put(VERSION);
            digits(version);
            room(1);
            buffer[size++] = '}';
            return java.util.Arrays.copyOf(buffer, size);
        }

        /**
         * {@code v} in decimal, as {@link Long#toString} writes it, without making the string: one
         * per membership change otherwise. Jackson's own number writer, as the JSON elsewhere.
         */
        private void digits(long v) {
            room(20); // Long.MIN_VALUE's length
            size = com.fasterxml.jackson.core.io.NumberOutput.outputLong(v, buffer, size);
        }

        /** {@code s} quoted for a JSON string: copied when plain ASCII, else escaped. */
        private void text(String s) {
            int n = s.length();
            room(n);
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) {
                    StringBuilder b = new StringBuilder(n + 8);
                    com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance()
                            .quoteAsString(s, b);
                    put(b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    return;
                }
            }
            for (int i = 0; i < n; i++) {
                buffer[size++] = (byte) s.charAt(i);
            }
        }

        private void put(byte[] bytes) {
            room(bytes.length);
            System.arraycopy(bytes, 0, buffer, size, bytes.length);
            size += bytes.length;
        }

        private void room(int more) {
            if (size + more > buffer.length) {
                buffer = java.util.Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + more));
            }
        }

        private static byte[] ascii(String s) {
            return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        }
    }
}
