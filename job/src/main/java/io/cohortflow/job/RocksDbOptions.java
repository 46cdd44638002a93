package io.cohortflow.job;

import java.util.Collection;
import org.apache.flink.state.rocksdb.RocksDBOptionsFactory;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;

/**
 * RocksDB options that Flink's configuration has no key for. Set as the backend's options factory
 * by {@link CohortflowJob#flinkConfiguration}; the configured options ({@code
 * state.backend.rocksdb.*}) still apply beneath it.
 */
public final class RocksDbOptions implements RocksDBOptionsFactory {
    private static final long serialVersionUID = 1L;

    static final long MAX_MANIFEST_BYTES = 256 * 1024;

    @Override
    public DBOptions createDBOptions(DBOptions current, Collection<AutoCloseable> handles) {
        // Each checkpoint's synchronous part waits for RocksDB to flush every column family with
        // writes (the profile, the history chunks, the timers). Flushed one by one, each is its
        // own background job, wake-up and manifest write, and the task (with every synchronous
        // request behind it) waits for all of them; flushed atomically they are one job.
        // The manifest, RocksDB's log of its file set, is copied into every native checkpoint and
        // uploaded with every incremental one; unbounded by default, it grew by about 1.5 MB an
        // hour at a checkpoint every 1.5 s. Rolled over past this size, it holds a few kilobytes.
        return current.setAtomicFlush(true).setMaxManifestFileSize(MAX_MANIFEST_BYTES);
    }

    @Override
    public ColumnFamilyOptions createColumnOptions(
            ColumnFamilyOptions current, Collection<AutoCloseable> handles) {
        return current;
    }
}
