package io.cohortflow.service.store;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A reusable fake of the definitions log: one ordered list, replayed to the sink on its own thread
 * as Kafka's reader would. {@link #hold()} parks appends until {@link #release()}, to observe
 * requests in flight.
 */
public final class InMemorySegmentLog implements SegmentLog {
    private final List<byte[]> records = new ArrayList<>();
    private final List<String> keys = new ArrayList<>();
    private final ExecutorService reader =
            Executors.newSingleThreadExecutor(
                    r -> {
                        Thread t = new Thread(r, "in-memory-log-reader");
                        t.setDaemon(true);
                        return t;
                    });
    private final List<Runnable> held = new ArrayList<>();
    private Sink sink;
    private boolean holding;

    /** Records already in the log before start, e.g. from another writer. */
    public synchronized void preload(byte[] value) {
        records.add(value);
        keys.add("preloaded-" + keys.size());
    }

    @Override
    public synchronized long start(Sink s) {
        this.sink = s;
        List<byte[]> copy = new ArrayList<>(records);
        List<String> copyKeys = List.copyOf(keys);
        reader.execute(
                () -> {
                    for (int i = 0; i < copy.size(); i++) {
                        s.accept(i, copyKeys.get(i), copy.get(i));
                    }
                    if (!copy.isEmpty()) {
                        s.processedUpTo(copy.size() - 1);
                    }
                });
        return copy.size();
    }

    @Override
    public CompletableFuture<Long> append(String key, byte[] value) {
        // (value null: a tombstone, kept as a record as Kafka keeps it until compaction)
        CompletableFuture<Long> done = new CompletableFuture<>();
        Runnable write =
                () -> {
                    long offset;
                    synchronized (this) {
                        records.add(value);
                        keys.add(key);
                        offset = records.size() - 1;
                    }
                    reader.execute(
                            () -> {
                                sink.accept(offset, key, value);
                                sink.processedUpTo(offset);
                            });
                    done.complete(offset);
                };
        synchronized (this) {
            if (holding) {
                held.add(write);
                return done;
            }
        }
        write.run();
        return done;
    }

    public synchronized void hold() {
        holding = true;
    }

    public void release() {
        List<Runnable> todo;
        synchronized (this) {
            holding = false;
            todo = new ArrayList<>(held);
            held.clear();
        }
        todo.forEach(Runnable::run);
    }

    /** Writes waiting for {@link #release()}. */
    public synchronized int heldCount() {
        return held.size();
    }

    public synchronized int size() {
        return records.size();
    }

    /** The size in bytes of the largest record written so far. */
    public synchronized int largestRecordBytes() {
        return records.stream().mapToInt(r -> r == null ? 0 : r.length).max().orElse(0);
    }

    @Override
    public long lag() {
        return 0;
    }

    @Override
    public void close() {
        reader.shutdownNow();
    }
}
