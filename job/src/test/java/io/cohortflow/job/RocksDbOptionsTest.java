package io.cohortflow.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

class RocksDbOptionsTest {

    @Test
    void the_jobs_backend_takes_its_options_from_the_factory() {
        EmbeddedRocksDBStateBackend backend =
                new EmbeddedRocksDBStateBackend()
                        .configure(
                                CohortflowJob.flinkConfiguration(JobConfig.defaults()),
                                getClass().getClassLoader());

        assertThat(backend.getRocksDBOptions()).isInstanceOf(RocksDbOptions.class);
    }

    @Test
    void flushes_are_atomic() {
        RocksDB.loadLibrary();
        List<AutoCloseable> handles = new ArrayList<>();
        try (DBOptions o = new RocksDbOptions().createDBOptions(new DBOptions(), handles)) {
            assertThat(o.atomicFlush()).isTrue();
        }
    }

    /** A checkpoint every second or so flushes every time: the manifest must not grow with them. */
    @Test
    void the_manifest_rolls_over_instead_of_growing(@TempDir Path dir) throws Exception {
        RocksDB.loadLibrary();
        List<AutoCloseable> handles = new ArrayList<>();
        try (DBOptions db = new RocksDbOptions().createDBOptions(new DBOptions(), handles);
                ColumnFamilyOptions cf = new ColumnFamilyOptions();
                Options o = new Options(db, cf).setCreateIfMissing(true);
                FlushOptions wait = new FlushOptions().setWaitForFlush(true);
                RocksDB rocks = RocksDB.open(o, dir.toString())) {
            // Each flush appends an edit of 100-200 bytes: flush until the manifest has rolled
            // over twice (RocksDB deletes the one it left), watching its size all along.
            Set<String> seen = new HashSet<>();
            long largest = 0;
            for (int i = 0; i < 10_000 && seen.size() < 3; i++) {
                rocks.put(("user-" + i).getBytes(StandardCharsets.UTF_8), new byte[] {(byte) i});
                rocks.flush(wait);
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path p : (Iterable<Path>) files::iterator) {
                        if (p.getFileName().toString().startsWith("MANIFEST-")) {
                            seen.add(p.getFileName().toString());
                            largest = Math.max(largest, Files.size(p));
                        }
                    }
                }
            }
            assertThat(seen).as("manifests rolled over").hasSizeGreaterThanOrEqualTo(3);
            assertThat(largest).isLessThan(2 * RocksDbOptions.MAX_MANIFEST_BYTES);
        }
    }
}
