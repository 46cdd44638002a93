package io.cohortflow.job.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * CPU time per event of one phase of {@link JobBench}, by part: the keyed task's threads (the job's
 * {@code Segmentation} task, the floor's {@code KeyedProcess}), RocksDB's background threads, the
 * JIT compilers, the garbage collector and the whole process. Events per second move with the VM's
 * neighbours (the floor gave 187 000 to 256 000 events/s in runs minutes apart, 2026-12-06); a
 * thread's CPU time per event does much less, so it is the figure for telling a change of a few
 * percent from noise.
 *
 * <p>A sampler reads every part's CPU time every 100 ms with the events generated so far; the
 * figure is taken between the first sample at a tenth of the events (the task's start, its
 * definitions' compilation and the first compilations of its code left out) and the first at all of
 * them. Generation is held to processing by backpressure, so events generated stand for events
 * processed, a few network buffers apart.
 */
final class TaskCpu implements AutoCloseable {
    private static final long TICK_NANOS = 10_000_000L; // Linux USER_HZ: 100 ticks a second

    private final String taskPrefix;
    private final long events;
    private final LongSupplier generated;
    private final Thread sampler;
    private final List<long[]> samples = new ArrayList<>();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Map<Long, Long> taskThreadNanos = new HashMap<>();

    private TaskCpu(String taskPrefix, long events, LongSupplier generated) {
        this.taskPrefix = taskPrefix;
        this.events = events;
        this.generated = generated;
        this.sampler = new Thread(this::run, "bench-task-cpu");
        sampler.setDaemon(true);
    }

    /** Starts sampling: {@code taskPrefix} names the keyed task's threads. */
    static TaskCpu start(String taskPrefix, long events, LongSupplier generated) {
        TaskCpu t = new TaskCpu(taskPrefix, events, generated);
        t.sampler.start();
        return t;
    }

    private void run() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                long n = generated.getAsLong();
                long[] s = {n, taskNanos(), 0, 0, processNanos(), 0};
                long[] proc = procNanos();
                s[2] = proc[0];
                s[3] = proc[1];
                s[5] = proc[2];
                synchronized (samples) {
                    samples.add(s);
                }
                if (n >= events) {
                    return;
                }
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                // A thread ended while /proc was read: the next sample reads it again.
            }
        }
    }

    /**
     * The keyed task's threads' CPU time, each thread's last reading kept: a thread that ended (the
     * job cancelled) still counts what it used.
     */
    private long taskNanos() {
        for (long id : threads.getAllThreadIds()) {
            var info = threads.getThreadInfo(id);
            if (info != null && info.getThreadName().startsWith(taskPrefix)) {
                long cpu = threads.getThreadCpuTime(id);
                if (cpu >= 0) {
                    taskThreadNanos.put(id, cpu);
                }
            }
        }
        return taskThreadNanos.values().stream().mapToLong(Long::longValue).sum();
    }

    private static long processNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /**
     * RocksDB's background threads, the JIT compilers and the garbage collector's threads, from
     * /proc (none of them Java threads).
     */
    private static long[] procNanos() throws IOException {
        long rocks = 0;
        long compilers = 0;
        long collector = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException gone) {
                    continue;
                }
                String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                long nanos = (Long.parseLong(f[11]) + Long.parseLong(f[12])) * TICK_NANOS;
                if (comm.startsWith("rocksdb:")) {
                    rocks += nanos;
                } else if (comm.matches("C[12] CompilerThre.*")) {
                    compilers += nanos;
                } else if (comm.startsWith("GC Thread") || comm.startsWith("G1 ")) {
                    collector += nanos; // G1's workers, marker, refinement and service threads
                }
            }
        }
        return new long[] {rocks, compilers, collector};
    }

    @Override
    public void close() throws InterruptedException {
        sampler.interrupt();
        sampler.join();
    }

    /**
     * The figure, once the events are all generated: "task X µs/event (process Y: RocksDB's
     * background Z, compilers W)", or a note that the phase was too short to sample.
     */
    String figure() throws InterruptedException {
        sampler.join(5_000);
        close();
        long[] from = null;
        long[] to = null;
        synchronized (samples) {
            for (long[] s : samples) {
                if (from == null && s[0] >= events / 10) {
                    from = s;
                }
                if (to == null && s[0] >= events) {
                    to = s;
                }
            }
        }
        if (from == null || to == null || to[0] == from[0]) {
            return "CPU per event not sampled (phase too short)";
        }
        double n = to[0] - from[0];
        return String.format(
                "CPU per event: task %.1f µs (process %.1f µs, of which RocksDB's background"
                        + " threads %.1f, JIT compilers %.1f, garbage collector %.1f)",
                (to[1] - from[1]) / 1e3 / n,
                (to[4] - from[4]) / 1e3 / n,
                (to[2] - from[2]) / 1e3 / n,
                (to[3] - from[3]) / 1e3 / n,
                (to[5] - from[5]) / 1e3 / n);
    }
}
