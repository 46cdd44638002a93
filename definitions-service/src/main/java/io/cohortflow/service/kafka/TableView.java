package io.cohortflow.service.kafka;

import io.cohortflow.core.contract.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a {@link CompactedTable}'s log folds into on one replica: the value held for each key, the
 * keys counted by group, and (with a record key per write) which record holds each key's value and
 * which records hold none, for removal and compaction to tombstone.
 *
 * <p>The table's reader is the only writer ({@link #apply}); any thread may read.
 */
final class TableView<V> {
    // The table's logger: a record skipped here is the table's to report.
    private static final Logger LOG = LoggerFactory.getLogger(CompactedTable.class);

    private final String topic;
    private final Class<V> type;
    private final BiFunction<V, V, V> merge;
    private final boolean keyPerWrite;
    private final Map<String, V> view = new ConcurrentHashMap<>();

    /** The group of a key, for {@link #count}: keys of one group are counted together. */
    private Function<String, String> groupOf = k -> "";

    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

    // With a record key per write: the record key of each key's held value, and the records whose
    // value no key holds (writes that lost to the one held), for compact() to tombstone.
    private final Map<String, String> holders = new ConcurrentHashMap<>();
    private final Set<String> superseded = ConcurrentHashMap.newKeySet();

    /** See {@link CompactedTable}'s constructors for {@code merge} and {@code keyPerWrite}. */
    TableView(String topic, Class<V> type, BiFunction<V, V, V> merge, boolean keyPerWrite) {
        this.topic = topic;
        this.type = type;
        this.merge = merge;
        this.keyPerWrite = keyPerWrite;
    }

    /** See {@link CompactedTable#countedBy}; set before the reader starts. */
    void countedBy(Function<String, String> groupOf) {
        this.groupOf = groupOf;
    }

    /** How many keys of {@code group} the view holds. */
    int count(String group) {
        AtomicInteger n = counts.get(group);
        return n == null ? 0 : n.get();
    }

    private void counted(String key, int delta) {
        counts.computeIfAbsent(groupOf.apply(key), g -> new AtomicInteger()).addAndGet(delta);
    }

    /** Folds one record of the log into the view; called by the table's reader only. */
    void apply(ConsumerRecord<String, byte[]> r) {
        if (r.key() == null) {
            return;
        }
        String key = tableKey(r.key());
        if (r.value() == null) {
            if (!keyPerWrite || r.key().equals(holders.get(key))) {
                if (view.remove(key) != null) {
                    counted(key, -1);
                }
                holders.remove(key);
            }
            superseded.remove(r.key());
            return;
        }
        try {
            V incoming = Json.read(r.value(), type);
            boolean added = !view.containsKey(key); // the reader is the view's one writer
            V held = view.merge(key, incoming, merge);
            if (added) {
                counted(key, 1);
            }
            // The holder's own record read again (a reader that starts over from the log's
            // beginning while its table is full: an offset gone after a broker failure) holds the
            // key still; marked superseded, compaction would tombstone every live entry.
            if (keyPerWrite && !r.key().equals(holders.get(key))) {
                if (held == incoming) {
                    String before = holders.put(key, r.key());
                    if (before != null) {
                        superseded.add(before);
                    }
                } else {
                    superseded.add(r.key());
                }
            }
        } catch (Exception e) {
            LOG.warn("{}: skipping unreadable record at offset {}", topic, r.offset(), e);
        }
    }

    /** The record key a new write of {@code key} goes under (the inverse of {@link #tableKey}). */
    String recordKey(String key) {
        return keyPerWrite ? key + "#" + java.util.UUID.randomUUID() : key;
    }

    private String tableKey(String recordKey) {
        int hash = keyPerWrite ? recordKey.lastIndexOf('#') : -1;
        return hash < 0 ? recordKey : recordKey.substring(0, hash);
    }

    /**
     * The records that hold or held a value for {@code key}: with a record key per write, the held
     * one and those that lost to it; otherwise the key itself.
     */
    List<String> recordsOf(String key) {
        List<String> records = new ArrayList<>();
        if (!keyPerWrite) {
            records.add(key);
        } else {
            String holder = holders.get(key);
            if (holder != null) {
                records.add(holder);
            }
            for (String r : superseded) {
                if (tableKey(r).equals(key)) {
                    records.add(r);
                }
            }
        }
        return records;
    }

    Optional<V> get(String key) {
        return Optional.ofNullable(view.get(key));
    }

    boolean holds(String key) {
        return view.containsKey(key);
    }

    int size() {
        return view.size();
    }

    /** The values whose key passes {@code keys}, unordered. */
    List<V> values(Predicate<String> keys) {
        List<V> out = new ArrayList<>();
        view.forEach(
                (k, v) -> {
                    if (keys.test(k)) {
                        out.add(v);
                    }
                });
        return out;
    }

    /** The keys whose value passes {@code test}, unordered. */
    List<String> keys(Predicate<V> test) {
        List<String> out = new ArrayList<>();
        view.forEach(
                (k, v) -> {
                    if (test.test(v)) {
                        out.add(k);
                    }
                });
        return out;
    }

    /** A copy of the records whose value no key holds. */
    List<String> superseded() {
        return List.copyOf(superseded);
    }

    int supersededCount() {
        return superseded.size();
    }
}
