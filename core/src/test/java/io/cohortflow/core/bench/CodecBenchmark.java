package io.cohortflow.core.bench;

import io.cohortflow.core.eval.EngineConfig;
import io.cohortflow.core.eval.ProfileCodec;
import io.cohortflow.core.eval.SegmentEngine;
import io.cohortflow.core.eval.UserProfile;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the job pays for a profile on every event besides the engine: reading it ({@link
 * ProfileCodec#fromBytes}) and writing it back ({@link ProfileCodec#toBytes}), for profiles the
 * engine built from the mixed workload's events (40 per user, as {@link EngineCpuLoop} replays
 * them), at 10, 100 and 1000 definitions. Their histories are chunked as the job's are (see {@link
 * BenchHistories}), so each profile carries its open chunk, the newest events (since 2026-12-07;
 * before, none). Prints the average profile's bytes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CodecBenchmark {
    private static final int USERS = 2_000;
    private static final int EVENTS_PER_USER = 40;

    @Param({"10", "100", "1000"})
    public int definitions;

    private byte[][] bytes;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        UserProfile[] profiles =
                EngineCpuLoop.run(
                        new SegmentEngine(EngineConfig.DEFAULT),
                        Workload.catalog("mixed", definitions),
                        USERS,
                        EVENTS_PER_USER,
                        false,
                        0,
                        "chunks");
        bytes = new byte[USERS][];
        long total = 0;
        for (int i = 0; i < USERS; i++) {
            bytes[i] = ProfileCodec.toBytes(profiles[i]);
            total += bytes[i].length;
        }
        System.out.printf(
                "%nCODEC definitions=%d avg_profile_bytes=%d%n", definitions, total / USERS);
    }

    /**
     * One profile read and written again, as the job does around each event: the write finds the
     * profile just read, in the cache (a write of one of thousands of profiles built earlier and
     * spread over the heap took twice as long, mostly in misses).
     */
    @Benchmark
    public byte[] readWrite() {
        return ProfileCodec.toBytes(ProfileCodec.fromBytes(bytes[next++ % USERS]));
    }

    /** One profile read, as the job does before each event. */
    @Benchmark
    public UserProfile read() {
        return ProfileCodec.fromBytes(bytes[next++ % USERS]);
    }
}
