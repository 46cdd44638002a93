package io.cohortflow.launcher;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU time of a process, and of its JIT compiler threads apart, from Linux's {@code /proc}: what
 * the latency benchmarks report per rate. The compilers' share says whether a run measured a warm
 * stack: at 1 000 requests/s after 90 s of warm-up they still took a quarter of this 2-core machine
 * (2026-12-05), time every other thread waited for.
 */
final class ProcessCpu {
    private static final long TICKS_PER_SECOND = 100; // Linux USER_HZ

    private ProcessCpu() {}

    /** User plus system CPU time of the whole process, in ns. */
    static long totalNanos(long pid) throws IOException {
        return ticksToNanos(ticks(Files.readString(Path.of("/proc", Long.toString(pid), "stat"))));
    }

    /**
     * User plus system CPU time of the JIT compiler threads (HotSpot names them {@code C1
     * CompilerThreadN} and {@code C2 CompilerThreadN}) of each of {@code pids}, in ns, by thread:
     * HotSpot may end a compiler thread whose queue stays empty, so two readings are compared
     * thread by thread ({@link #spent}).
     */
    static Map<String, Long> compilerNanos(List<Long> pids) throws IOException {
        Map<String, Long> out = new HashMap<>();
        for (long pid : pids) {
            try (DirectoryStream<Path> tasks =
                    Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
                for (Path task : tasks) {
                    String stat;
                    try {
                        stat = Files.readString(task.resolve("stat"));
                    } catch (IOException gone) {
                        // The thread ended while the directory was read: the file is gone, or
                        // still listed and its read fails with ESRCH ("No such process", which
                        // stopped a benchmark run after its warm-up, 2026-12-05).
                        continue;
                    }
                    if (isCompiler(stat)) {
                        out.put(pid + "/" + task.getFileName(), ticksToNanos(ticks(stat)));
                    }
                }
            }
        }
        return out;
    }

    /**
     * The CPU time the threads of {@code after} used since {@code before}: a thread that ended
     * between the two readings is left out (its share understated), one that started counts whole.
     */
    static long spent(Map<String, Long> before, Map<String, Long> after) {
        long sum = 0;
        for (Map.Entry<String, Long> e : after.entrySet()) {
            sum += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        return sum;
    }

    /**
     * Whether a {@code stat} line is a JIT compiler thread's (its name between the parentheses).
     */
    static boolean isCompiler(String stat) {
        String comm = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        return comm.matches("C[12] CompilerThre.*");
    }

    /** utime + stime of a {@code stat} line (fields 14 and 15; the name may hold spaces). */
    static long ticks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static long ticksToNanos(long ticks) {
        return ticks * 1_000_000_000L / TICKS_PER_SECOND;
    }
}
