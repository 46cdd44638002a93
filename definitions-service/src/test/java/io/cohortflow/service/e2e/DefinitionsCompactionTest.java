package io.cohortflow.service.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.contract.TopicSpec;
import io.cohortflow.kafka.EmbeddedKafka;
import io.cohortflow.service.api.Defs;
import io.cohortflow.service.kafka.Topics;
import io.cohortflow.service.store.ConflictException;
import io.cohortflow.service.store.DefinitionStore;
import io.cohortflow.service.store.KafkaSegmentLog;
import io.cohortflow.service.store.StoredSegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The definitions log stays as large as its segments need, not as every edit ever made: after 10
 * 000 edits (and writes that lost races) and the store's compaction, the broker's cleaner leaves
 * the versions kept, and a new replica starts from those alone with the same segments and version
 * history.
 */
class DefinitionsCompactionTest {
    static EmbeddedKafka kafka;
    static final String TOPIC = "compaction.definitions";
    static final int SEGMENTS = 10;
    static final int EDITS = 1_000;
    static final int KEPT = 5;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
        // Compaction at test speed: segments roll every 100 ms, tombstones go after 100 ms.
        Topics.ensure(
                kafka.bootstrapServers(),
                List.of(
                        new TopicSpec(
                                TOPIC,
                                1,
                                Map.of(
                                        "cleanup.policy", "compact",
                                        "segment.ms", "100",
                                        "delete.retention.ms", "100",
                                        "min.cleanable.dirty.ratio", "0.01"))));
    }

    @AfterAll
    static void stop() {
        kafka.close();
    }

    private static DefinitionStore store(ExecutorService callbacks) {
        DefinitionStore s =
                new DefinitionStore(
                        new KafkaSegmentLog(kafka.bootstrapServers(), TOPIC),
                        Duration.ofSeconds(20),
                        callbacks,
                        KEPT);
        s.start(Duration.ofSeconds(60));
        return s;
    }

    private static StoredSegment first(int i) {
        StoredSegment.Owner owner = new StoredSegment.Owner(1, "CI", "ci@acme");
        return new StoredSegment(
                "acme",
                "s" + i + "_compacted",
                1,
                0,
                true,
                false,
                Defs.mobile(),
                null,
                "Segment " + i,
                null,
                "default",
                owner,
                List.of(),
                List.of(),
                List.of(),
                "2026-01-01T00:00:00Z",
                "2026-01-01T00:00:00Z",
                "2026-01-01T00:00:00Z",
                owner,
                "create");
    }

    private static StoredSegment next(StoredSegment s, int n) {
        StoredSegment.Builder b = s.next("edit", s.owner(), "2026-01-01T00:00:00Z");
        b.name = "Segment edited " + n;
        return b.build();
    }

    /** {@code edits} versions of a segment after {@code s}, one after the other. */
    private static CompletableFuture<StoredSegment> edit(
            DefinitionStore store, StoredSegment s, int edits) {
        if (edits == 0) {
            return CompletableFuture.completedFuture(s);
        }
        StoredSegment n = next(s, edits);
        return store.write(n).thenCompose(e -> edit(store, n, edits - 1));
    }

    @Test
    void ten_thousand_edits_leave_a_log_and_a_start_up_that_grow_with_the_segments()
            throws Exception {
        ExecutorService callbacks = Executors.newFixedThreadPool(4);
        DefinitionStore a = store(callbacks);
        List<CompletableFuture<StoredSegment>> chains = new ArrayList<>();
        for (int i = 0; i < SEGMENTS; i++) {
            StoredSegment s = first(i);
            chains.add(a.write(s).thenCompose(e -> edit(a, s, EDITS - 1)));
        }
        List<StoredSegment> last = new ArrayList<>();
        for (CompletableFuture<StoredSegment> c : chains) {
            last.add(c.get());
        }
        // Writes that lose races: two edits of one version at once, twenty times.
        int lost = 0;
        StoredSegment racing = last.get(0);
        for (int r = 0; r < 20; r++) {
            StoredSegment one = next(racing, -1);
            StoredSegment two = next(racing, -2);
            CompletableFuture<DefinitionStore.Entry> w1 = a.write(one);
            CompletableFuture<DefinitionStore.Entry> w2 = a.write(two);
            racing = null;
            for (var w : List.of(w1, w2)) {
                try {
                    racing = w.join().segment();
                } catch (CompletionException e) {
                    assertThat(e.getCause()).isInstanceOf(ConflictException.class);
                    lost++;
                }
            }
        }
        assertThat(lost).isEqualTo(20);
        last.set(0, racing);
        long written = (long) SEGMENTS * EDITS + 40;
        assertThat(a.supersededCount()).isEqualTo((int) (written - SEGMENTS * KEPT));

        assertThat(a.compact().get()).isEqualTo((int) (written - SEGMENTS * KEPT));
        // The cleaner takes a log segment once it is no longer the active one, and tombstones a
        // pass after that: edits go on (one every half second, as a live service's would) until
        // the topic holds little more than the kept versions.
        long[] n = {EDITS + 100};
        StoredSegment[] edited = {last.get(1)};
        Awaitility.await()
                .atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500))
                .alias("the broker's cleaner removes the tombstoned records and the tombstones")
                .until(
                        () -> {
                            edited[0] = next(edited[0], (int) n[0]++);
                            a.write(edited[0]).get();
                            return recordsInTopic();
                        },
                        records -> records <= SEGMENTS * KEPT + 300);
        last.set(1, edited[0]);
        DefinitionStore b = store(callbacks);
        try {
            // Start-up read the kept versions (and the edits made while waiting), not the 10 000.
            assertThat(b.appliedCount()).isLessThanOrEqualTo(SEGMENTS * KEPT + 300);
            assertThat(b.rejectedCount()).isZero();
            for (StoredSegment s : last) {
                assertThat(b.get("acme", s.id()).orElseThrow().segment()).isEqualTo(s);
                assertThat(b.versions("acme", s.id())).isEqualTo(a.versions("acme", s.id()));
            }
            assertThat(b.versions("acme", last.get(2).id())).hasSize(KEPT);
            // And it writes on from there: the next version follows the newest kept.
            StoredSegment more = next(last.get(2), 9);
            assertThat(b.write(more).get().segment().version()).isEqualTo(EDITS + 1);
        } finally {
            b.close();
            a.close();
            callbacks.shutdownNow();
        }
    }

    /** Records in the topic now (tombstones included), read from its beginning to its end. */
    private static long recordsInTopic() {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("enable.auto.commit", "false");
        TopicPartition tp = new TopicPartition(TOPIC, 0);
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            long n = 0;
            while (c.position(tp) < end) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500))) {
                    n++;
                }
            }
            return n;
        }
    }
}
