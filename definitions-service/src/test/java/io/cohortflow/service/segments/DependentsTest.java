package io.cohortflow.service.segments;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.service.store.DefinitionStore;
import io.cohortflow.service.store.InMemorySegmentLog;
import io.cohortflow.service.store.StoredSegment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The segments that reference another, and what finding them keeps in memory. */
class DependentsTest {
    private final ExecutorService callbacks = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        callbacks.shutdownNow();
    }

    /** Version {@code version} of segment {@code id}, whose definition holds {@code pred}. */
    private static byte[] record(String id, long version, String pred) {
        String definition =
                "{\"func\":\"segment-def\",\"version\":[1,0,0],\"container\":{\"func\":\"container\","
                        + "\"context\":\"visitors\",\"pred\":"
                        + pred
                        + "}}";
        return ("{\"workspace\":\"acme\",\"id\":\""
                        + id
                        + "\",\"version\":"
                        + version
                        + ",\"replaces\":"
                        + (version - 1)
                        + ",\"published\":true,\"deleted\":false,\"definition\":"
                        + definition
                        + ",\"name\":\""
                        + id
                        + "\",\"rsid\":\"default\",\"owner\":{\"id\":1,\"name\":\"a\",\"login\":\"a\"},"
                        + "\"created\":\"2026-12-01T00:00:00Z\",\"modified\":\"2026-12-01T00:00:00Z\","
                        + "\"definitionLastModified\":\"2026-12-01T00:00:00Z\","
                        + "\"modifiedBy\":{\"id\":1,\"name\":\"a\",\"login\":\"a\"},\"change\":\"update\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    private static String ref(String id) {
        return "{\"func\":\"segment-ref\",\"id\":\"" + id + "\"}";
    }

    private static String streq(String value) {
        return "{\"func\":\"streq\",\"val\":{\"func\":\"attr\",\"name\":\"variables/name\"},"
                + "\"str\":\""
                + value
                + "\"}";
    }

    @Test
    void edited_definitions_are_not_kept_once_the_store_let_them_go() {
        InMemorySegmentLog log = new InMemorySegmentLog();
        log.preload(record("b", 1, streq("x")));
        log.preload(record("a", 1, ref("b")));
        DefinitionStore store = new DefinitionStore(log, Duration.ofSeconds(5), callbacks, 5);
        store.start(Duration.ofSeconds(5));
        Dependents dependents = new Dependents(store);
        assertThat(dependents.of("acme", "b", false))
                .extracting(StoredSegment::id)
                .containsExactly("a");

        // Each check between edits read the segments' definitions of the moment.
        for (int v = 2; v < 200; v++) {
            log.append("acme/c@" + v, record("c", v, v % 2 == 0 ? ref("b") : streq("v" + v)))
                    .join();
            waitFor(store, "c", v);
            assertThat(dependents.of("acme", "b", false))
                    .extracting(StoredSegment::id)
                    .containsExactly(v % 2 == 0 ? new String[] {"a", "c"} : new String[] {"a"});
        }
        assertThat(dependents.held()).as("one entry per segment").isLessThanOrEqualTo(3);
    }

    private static void waitFor(DefinitionStore store, String id, long version) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (store.get("acme", id).map(e -> e.segment().version()).orElse(0L) < version) {
            assertThat(System.nanoTime()).as("version %d applied", version).isLessThan(deadline);
            Thread.onSpinWait();
        }
    }
}
