package io.cohortflow.service.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the store marks for compaction: only writes that lost a race. A record read again, or one
 * past a gap in the reading, is no loser; tombstoned, a segment's current version would be gone
 * from the log for good, for every reader after.
 */
class DefinitionStoreTest {
    private final ExecutorService callbacks = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        callbacks.shutdownNow();
    }

    /** A log that hands the store the records given, in order, at start. */
    private static final class Replayed implements SegmentLog {
        final List<String> keys = new ArrayList<>();
        final List<byte[]> values = new ArrayList<>();

        void add(String key, String json) {
            keys.add(key);
            values.add(json.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public long start(Sink s) {
            for (int i = 0; i < keys.size(); i++) {
                s.accept(i, keys.get(i), values.get(i));
            }
            s.processedUpTo(keys.size() - 1);
            return keys.size();
        }

        @Override
        public CompletableFuture<Long> append(String key, byte[] value) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException());
        }

        @Override
        public long lag() {
            return 0;
        }

        @Override
        public void close() {}
    }

    private static String record(long version, long replaces, String name) {
        return "{\"workspace\":\"acme\",\"id\":\"s1\",\"version\":"
                + version
                + ",\"replaces\":"
                + replaces
                + ",\"published\":true,\"deleted\":false,\"definition\":null,\"name\":\""
                + name
                + "\",\"rsid\":\"default\",\"owner\":{\"id\":1,\"name\":\"a\",\"login\":\"a\"},"
                + "\"created\":\"2026-12-01T00:00:00Z\",\"modified\":\"2026-12-01T00:00:00Z\","
                + "\"definitionLastModified\":\"2026-12-01T00:00:00Z\","
                + "\"modifiedBy\":{\"id\":1,\"name\":\"a\",\"login\":\"a\"},\"change\":\"update\"}";
    }

    private DefinitionStore started(Replayed log) {
        DefinitionStore store = new DefinitionStore(log, Duration.ofSeconds(5), callbacks, 5);
        store.start(Duration.ofSeconds(5));
        return store;
    }

    @Test
    void a_record_read_again_is_not_a_lost_write() throws Exception {
        Replayed log = new Replayed();
        log.add("acme/s1@1", record(1, 0, "first"));
        log.add("acme/s1@2", record(2, 1, "second"));
        // A reader that resumed from an earlier offset reads both again.
        log.add("acme/s1@1", record(1, 0, "first"));
        log.add("acme/s1@2", record(2, 1, "second"));
        DefinitionStore store = started(log);
        assertThat(store.get("acme", "s1").orElseThrow().segment().version()).isEqualTo(2);
        assertThat(store.supersededCount()).isZero();
    }

    @Test
    void a_version_past_a_gap_in_the_reading_is_applied_not_a_lost_write() throws Exception {
        Replayed log = new Replayed();
        log.add("acme/s1@1", record(1, 0, "first"));
        // Versions 2 to 6 compacted away while this replica was cut off.
        log.add("acme/s1@7", record(7, 6, "seventh"));
        log.add("acme/s1@8", record(8, 7, "eighth"));
        DefinitionStore store = started(log);
        assertThat(store.supersededCount()).isZero();
        assertThat(store.get("acme", "s1").orElseThrow().segment().name()).isEqualTo("eighth");
        assertThat(store.get("acme", "s1").orElseThrow().segment().version()).isEqualTo(8);
    }

    @Test
    void a_write_based_on_a_version_no_longer_held_lost_and_goes() throws Exception {
        Replayed log = new Replayed();
        log.add("acme/s1@1", record(1, 0, "first"));
        log.add("acme/s1@2#a", record(2, 1, "won"));
        log.add("acme/s1@2#b", record(2, 1, "lost"));
        DefinitionStore store = started(log);
        assertThat(store.get("acme", "s1").orElseThrow().segment().name()).isEqualTo("won");
        assertThat(store.supersededCount()).isEqualTo(1);
    }
}
