package io.cohortflow.service.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread that follows a topic's partitions for the service (the definitions log, the aliases
 * and schemas tables, the applied reports, the job's replies): one loop, one error and restart
 * policy, one shutdown, and a health the service's readiness reports.
 *
 * <p>Policy: when the consumer fails (the broker refuses it, an offset is gone, a topic is not
 * there yet) the follower closes it, waits (200 ms, doubling to 5 s), makes a new one and has the
 * {@link Reader} position it where reading stopped; it is unhealthy while that lasts. When the
 * reader itself throws, that is a defect no restart mends: the follower stops, unhealthy for good,
 * so that the replica is taken out of service rather than answer from a table that no longer
 * follows its log. (Before, one of the four hand-written loops stopped silently while the service
 * reported itself ready.)
 *
 * @param <K> record key type
 * @param <V> record value type
 */
public final class Follower<K, V> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Follower.class);
    private static final long FIRST_BACKOFF_MILLIS = 200;
    private static final long MAX_BACKOFF_MILLIS = 5_000;

    /** What a follower does with what it reads; called on the follower's thread only. */
    public interface Reader<K, V> {
        /**
         * Assigns partitions to a new consumer and seeks: at start {@code positions} is empty;
         * after a restart it holds the next offset to read of each partition read so far. Assigning
         * none (the topic does not exist yet) has the follower ask again a second later.
         */
        void open(KafkaConsumer<K, V> consumer, Map<TopicPartition, Long> positions);

        /**
         * One poll's records, in order. Bad records are the reader's to skip; an exception stops
         * the follower. {@code consumer} answers positions and lag, nothing else.
         */
        void accept(ConsumerRecords<K, V> records, KafkaConsumer<K, V> consumer);
    }

    /**
     * The usual {@link Reader#open}: assigns {@code partitions} and seeks each to where reading
     * stopped, or to its beginning when it was not read yet.
     */
    public static void assignFromBeginning(
            KafkaConsumer<?, ?> consumer,
            List<TopicPartition> partitions,
            Map<TopicPartition, Long> positions) {
        consumer.assign(partitions);
        for (TopicPartition tp : partitions) {
            Long at = positions.get(tp);
            if (at == null) {
                consumer.seekToBeginning(List.of(tp));
            } else {
                consumer.seek(tp, at);
            }
        }
    }

    private final String name;
    private final Supplier<KafkaConsumer<K, V>> consumers;
    private final Reader<K, V> reader;
    private final Duration pollTimeout;
    private final Map<TopicPartition, Long> positions = new HashMap<>();

    private volatile boolean running;
    private volatile boolean closed;
    private volatile boolean failing;
    private volatile @Nullable Throwable stoppedBy;
    private volatile long restarts;
    private volatile @Nullable KafkaConsumer<K, V> consumer;
    private @Nullable Thread thread;

    public Follower(
            String name,
            Supplier<KafkaConsumer<K, V>> consumers,
            Reader<K, V> reader,
            Duration pollTimeout) {
        this.name = name;
        this.consumers = consumers;
        this.reader = reader;
        this.pollTimeout = pollTimeout;
    }

    /**
     * Opens the consumer on the caller's thread (so that start-up errors surface), then follows.
     */
    public void start() {
        consumer = consumers.get();
        open();
        follow();
    }

    /**
     * Opens the consumer and reads every assigned partition to the end offset it has now, on the
     * caller's thread, then follows: a table rebuilt from its log before anyone reads it.
     *
     * @throws IllegalStateException when the end is not reached within {@code timeout}
     */
    public void startCaughtUp(Duration timeout) {
        consumer = consumers.get();
        open();
        Map<TopicPartition, Long> ends = consumer.endOffsets(consumer.assignment(), timeout);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!reached(ends)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        name + ": could not read to the end offsets " + ends + " in " + timeout);
            }
            reader.accept(consumer.poll(pollTimeout), consumer);
        }
        notePositions();
        follow();
    }

    /**
     * Has the reader assign and seek the current consumer, and notes where that put it: a restart
     * before the first poll must resume there, not where a fresh start would begin.
     */
    private void open() {
        reader.open(consumer, Map.copyOf(positions));
        notePositions();
    }

    private void notePositions() {
        for (TopicPartition tp : consumer.assignment()) {
            positions.put(tp, consumer.position(tp));
        }
    }

    private boolean reached(Map<TopicPartition, Long> ends) {
        for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private void follow() {
        if (closed) {
            return;
        }
        running = true;
        Thread t = new Thread(this::loop, name + "-reader");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    private void loop() {
        long backoff = FIRST_BACKOFF_MILLIS;
        while (running) {
            try {
                if (consumer == null) {
                    consumer = consumers.get(); // set first, so that close() can wake it
                    if (closed) {
                        break;
                    }
                    open();
                }
                if (consumer.assignment().isEmpty()) {
                    // Nothing to follow yet (a topic another part creates): ask again later.
                    if (!pause(1_000)) {
                        break;
                    }
                    open();
                    continue;
                }
                ConsumerRecords<K, V> records = consumer.poll(pollTimeout);
                try {
                    reader.accept(records, consumer);
                } catch (KafkaException e) {
                    throw e; // from the consumer calls a reader may make: the consumer's failure
                } catch (RuntimeException | Error e) {
                    stoppedBy = e;
                    LOG.error("{}: reading stopped, the replica is no longer ready", name, e);
                    running = false;
                    break;
                }
                notePositions();
                failing = false;
                backoff = FIRST_BACKOFF_MILLIS;
            } catch (WakeupException e) {
                if (!running) {
                    break;
                }
            } catch (RuntimeException e) {
                if (!running) {
                    break; // closing
                }
                failing = true;
                restarts++;
                LOG.warn("{}: consumer failed; a new one in {} ms", name, backoff, e);
                closeQuietly();
                if (!pause(backoff)) {
                    break;
                }
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
            }
        }
        closeQuietly();
    }

    /**
     * Waits {@code millis} unless closed meanwhile (notified, not interrupted: an interrupt that
     * reached a consumer would make its close fail). Returns whether to go on.
     */
    private boolean pause(long millis) {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (this) {
            long left;
            while (running && (left = until - System.nanoTime()) > 0) {
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
        }
        return running;
    }

    private void closeQuietly() {
        KafkaConsumer<K, V> c = consumer;
        consumer = null;
        if (c != null) {
            try {
                c.close(Duration.ofSeconds(2));
            } catch (RuntimeException e) {
                LOG.debug("{}: closing a failed consumer", name, e);
            }
        }
    }

    /** The name readiness reports this follower under. */
    public String name() {
        return name;
    }

    /** Following its log: started, not stopped by its reader, and its consumer not failing. */
    public boolean healthy() {
        Thread t = thread;
        return running && !failing && t != null && t.isAlive();
    }

    /** Why the reader stopped the follower, or null. */
    @Nullable
    public Throwable stoppedBy() {
        return stoppedBy;
    }

    /** Consumers replaced after a failure since start. */
    public long restarts() {
        return restarts;
    }

    @Override
    public void close() {
        closed = true;
        boolean wasRunning = running;
        running = false;
        Thread t = thread;
        KafkaConsumer<K, V> c = consumer;
        if (t == null) {
            closeQuietly(); // opened but never followed (start-up failed)
            return;
        }
        if (wasRunning && c != null) {
            c.wakeup();
        }
        synchronized (this) {
            notifyAll(); // a restart's back-off
        }
        try {
            t.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
