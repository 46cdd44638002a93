package io.cohortflow.service.kafka;

import io.cohortflow.core.contract.Json;
import io.cohortflow.service.Failures;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A key-value table whose only source of truth is a compacted, single-partition topic, the pattern
 * of the definition store (and of Confluent Schema Registry's {@code _schemas}): every replica
 * reads the partition from the beginning into memory, writes go to the log, and a writer answers
 * only once its own reader has applied the record's offset (read-your-writes).
 *
 * <p>Concurrent writers are ordered by the log: each record is folded into the current value by
 * {@code merge(current, incoming)}, which every reader applies in the same order, so every replica
 * agrees. (Alias bindings use first-writer-wins: {@code merge} keeps the current value.)
 */
public final class CompactedTable<V> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CompactedTable.class);

    private final String bootstrap;
    private final String topic;
    private final Duration writeTimeout;

    /** What the log folds into on this replica: its reader writes it, any thread reads it. */
    private final TableView<V> view;

    /** Offset to the futures waiting until the reader has applied it. */
    private final ConcurrentSkipListMap<Long, List<Runnable>> waiting =
            new ConcurrentSkipListMap<>();

    private volatile long applied = -1;
    private KafkaProducer<String, byte[]> producer;
    private Follower<String, byte[]> follower;

    // What a writer chains on its confirmation (a request sent on to the job, whose send may block
    // while the producer's buffer is full) runs here, never on the table's reader (every replica's
    // lookups wait on it) nor on a producer's I/O thread (which frees that buffer).
    private final java.util.concurrent.ExecutorService confirmations =
            java.util.concurrent.Executors.newSingleThreadExecutor(
                    r -> {
                        Thread t = new Thread(r, "table-confirmations");
                        t.setDaemon(true);
                        return t;
                    });

    /**
     * @param merge the value to hold given the current one (never null when called) and a newer
     *     record's; a null record value (tombstone) removes the key
     */
    public CompactedTable(
            String bootstrap,
            String topic,
            Class<V> type,
            BiFunction<V, V, V> merge,
            Duration writeTimeout) {
        this(bootstrap, topic, type, merge, writeTimeout, false);
    }

    /**
     * @param keyPerWrite give every write a record key of its own ({@code key#uuid}). Needed when
     *     the first write of a key must win: compaction keeps a key's last record, which would
     *     otherwise be the loser of a race, and a replica rebuilding from the compacted log would
     *     then hold the loser's value. In this mode a tombstone names a record: the held value's
     *     removes the key, another's only lets compaction take a record no reader needs ({@link
     *     #compact}).
     */
    public CompactedTable(
            String bootstrap,
            String topic,
            Class<V> type,
            BiFunction<V, V, V> merge,
            Duration writeTimeout,
            boolean keyPerWrite) {
        this.bootstrap = bootstrap;
        this.topic = topic;
        this.writeTimeout = writeTimeout;
        this.view = new TableView<>(topic, type, merge, keyPerWrite);
    }

    /**
     * Counts the keys held by their group ({@code groupOf}, a prefix say), for {@link #count}. Set
     * before {@link #start}.
     */
    public CompactedTable<V> countedBy(Function<String, String> groupOf) {
        view.countedBy(groupOf);
        return this;
    }

    /** How many keys of {@code group} the table holds (see {@link #countedBy}). */
    public int count(String group) {
        return view.count(group);
    }

    /** Reads the topic to its end offset, then follows it. */
    public void start(Duration timeout) {
        Map<String, Object> p =
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        ProducerConfig.LINGER_MS_CONFIG,
                        "0",
                        // send() runs on the request's thread: it must not block past the
                        // write's own deadline (Kafka's default is 60 s) on missing metadata.
                        ProducerConfig.MAX_BLOCK_MS_CONFIG,
                        Long.toString(writeTimeout.toMillis()));
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        Map<String, Object> c =
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrap,
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        // Resuming after a failure at an offset no longer there: read again.
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        // A write is read back as soon as it lands (a parked fetch is answered
                        // then): the wait only spares the broker an idle reader's polling.
                        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG,
                        500,
                        // The job writes the audiences exactly once, in transactions: what an
                        // aborted one held (a size the job then rolled back) is not the table's.
                        // The other tables are written outside transactions: all visible at once.
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed");
        TopicPartition tp = new TopicPartition(topic, 0);
        follower =
                new Follower<>(
                        topic,
                        () ->
                                new KafkaConsumer<>(
                                        c, new StringDeserializer(), new ByteArrayDeserializer()),
                        new Follower.Reader<>() {
                            @Override
                            public void open(
                                    KafkaConsumer<String, byte[]> consumer,
                                    Map<TopicPartition, Long> positions) {
                                Follower.assignFromBeginning(consumer, List.of(tp), positions);
                            }

                            @Override
                            public void accept(
                                    ConsumerRecords<String, byte[]> records,
                                    KafkaConsumer<String, byte[]> consumer) {
                                applyAll(records);
                            }
                        },
                        Duration.ofMillis(100));
        follower.startCaughtUp(timeout);
        LOG.info("{}: {} keys rebuilt up to offset {}", topic, view.size(), applied);
    }

    /** Whether the table still follows its topic. */
    public boolean healthy() {
        return follower != null && follower.healthy();
    }

    /** The table's reader, for readiness. */
    public Follower<String, byte[]> follower() {
        return follower;
    }

    private void applyAll(ConsumerRecords<String, byte[]> records) {
        for (ConsumerRecord<String, byte[]> r : records) {
            apply(r);
            applied = r.offset();
        }
        // Complete the writers whose offset is now applied (outside the lock: completing runs
        // what the writer chained on it).
        List<Runnable> due = new ArrayList<>();
        synchronized (waiting) {
            while (!waiting.isEmpty() && waiting.firstKey() <= applied) {
                due.addAll(waiting.pollFirstEntry().getValue());
            }
        }
        due.forEach(Runnable::run);
    }

    /** One record of the log; package-private for the test that reads the log again. */
    void apply(ConsumerRecord<String, byte[]> r) {
        view.apply(r);
    }

    public Optional<V> get(String key) {
        return view.get(key);
    }

    /** The values whose key passes {@code keys}, unordered. */
    public List<V> values(Predicate<String> keys) {
        return view.values(keys);
    }

    /**
     * Writes {@code value} (null: a tombstone) and completes with what the table holds for the key
     * once this replica's reader has applied the write: the caller learns whether it won.
     */
    public CompletableFuture<Optional<V>> write(String key, @Nullable V value) {
        return write(key, value, writeTimeout);
    }

    /**
     * {@link #write(String, Object)} within {@code timeout} (the send included) rather than the
     * table's write timeout: what is left of a request's time.
     */
    public CompletableFuture<Optional<V>> write(String key, @Nullable V value, Duration timeout) {
        String recordKey = view.recordKey(key);
        return applied(recordKey, value == null ? null : Json.bytes(value), timeout)
                .thenApply(v -> get(key));
    }

    /**
     * Removes {@code key}: tombstones every record that holds or held a value for it (with a record
     * key per write, the held one and those that lost to it), so that once compacted the log keeps
     * nothing of it, and completes with whether it was there once this replica's reader has applied
     * the removal.
     */
    public CompletableFuture<Boolean> remove(String key) {
        return remove(key, writeTimeout);
    }

    /**
     * {@link #remove(String)} within {@code timeout} (the sends included) rather than the table's
     * write timeout: what is left of a request's time.
     */
    public CompletableFuture<Boolean> remove(String key, Duration timeout) {
        List<String> records = view.recordsOf(key);
        boolean held = view.holds(key);
        if (records.isEmpty()) {
            return CompletableFuture.completedFuture(held);
        }
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (String r : records) {
            sent.add(applied(r, null, timeout));
        }
        return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).thenApply(v -> held);
    }

    /**
     * Sends one record and completes once this replica's reader has applied its offset
     * (read-your-writes), or fails {@code timeout} after the send began.
     */
    private CompletableFuture<Void> applied(
            String recordKey, byte @Nullable [] bytes, Duration timeout) {
        long started = System.nanoTime();
        CompletableFuture<Void> done = new CompletableFuture<>();
        producer.send(
                new ProducerRecord<>(topic, 0, recordKey, bytes),
                (meta, error) -> {
                    if (error != null) {
                        done.completeExceptionally(error);
                        return;
                    }
                    long offset = meta.offset();
                    Runnable complete = () -> done.complete(null);
                    // Registering and the reader's draining exclude each other: registering
                    // into a list the reader had just taken out of the map lost the write's
                    // confirmation (a request then timed out although its binding was there).
                    boolean passed;
                    synchronized (waiting) {
                        passed = applied >= offset;
                        if (!passed) {
                            waiting.computeIfAbsent(offset, o -> new ArrayList<>()).add(complete);
                        }
                    }
                    if (passed) {
                        complete.run();
                    }
                });
        // The clock runs from before the send: one that blocked (no metadata for the topic, up to
        // max.block.ms) used part of the time.
        long left = timeout.toNanos() - (System.nanoTime() - started);
        return done.orTimeout(
                        Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)), TimeUnit.MILLISECONDS)
                .whenCompleteAsync((v, e) -> {}, confirmations)
                .exceptionallyCompose(
                        e -> {
                            Throwable c = Failures.cause(e);
                            return CompletableFuture.failedFuture(
                                    c instanceof TimeoutException
                                            ? new TimeoutException(
                                                    topic
                                                            + " did not confirm a write in "
                                                            + timeout)
                                            : c);
                        });
    }

    /** The keys whose value passes {@code test}, unordered. */
    public List<String> keys(Predicate<V> test) {
        return view.keys(test);
    }

    /**
     * Tombstones the records no reader needs (with a record key per write: the writes whose value
     * no key holds, e.g. a binding that lost to an earlier one), so that compaction keeps one
     * record per key. Safe from any replica at any time. Completes with the number written.
     */
    public CompletableFuture<Integer> compact() {
        List<String> keys = view.superseded();
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (String k : keys) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            producer.send(
                    new ProducerRecord<>(topic, 0, k, null),
                    (meta, error) -> {
                        if (error != null) {
                            done.completeExceptionally(error);
                        } else {
                            done.complete(null);
                        }
                    });
            sent.add(done);
        }
        return CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new))
                .thenApply(v -> keys.size());
    }

    /** Records compaction may remove that this replica has not tombstoned yet. */
    public int supersededCount() {
        return view.supersededCount();
    }

    @Override
    public void close() {
        if (follower != null) {
            follower.close();
        }
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
        }
        confirmations.shutdown();
    }
}
