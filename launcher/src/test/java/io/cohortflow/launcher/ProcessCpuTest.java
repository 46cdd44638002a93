package io.cohortflow.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcessCpuTest {

    @Test
    void a_stat_line_is_read_past_a_name_with_spaces_and_parentheses() {
        // pid (comm) state ppid ... utime (14th) stime (15th) ...
        String compiler =
                "812 (C2 CompilerThre) S 1 812 812 0 -1 4194624 10 0 0 0 1234 56 0 0 20 0 40 0";
        String other = "813 (a (b) c) S 1 812 812 0 -1 4194624 10 0 0 0 7 8 0 0 20 0 40 0";

        assertThat(ProcessCpu.ticks(compiler)).isEqualTo(1290);
        assertThat(ProcessCpu.ticks(other)).isEqualTo(15);
        assertThat(ProcessCpu.isCompiler(compiler)).isTrue();
        assertThat(ProcessCpu.isCompiler(other)).isFalse();
        assertThat(ProcessCpu.isCompiler(compiler.replace("C2", "C1"))).isTrue();
    }

    @Test
    void readings_are_compared_thread_by_thread() {
        Map<String, Long> before = Map.of("1/10", 100L, "1/11", 50L);
        // 1/11 ended (left out), 1/12 started (counted whole).
        Map<String, Long> after = Map.of("1/10", 130L, "1/12", 5L);

        assertThat(ProcessCpu.spent(before, after)).isEqualTo(35);
    }

    @Test
    void this_jvms_compilers_are_found_and_are_part_of_its_cpu_time() throws Exception {
        long self = ProcessHandle.current().pid();
        long compilers = ProcessCpu.spent(Map.of(), ProcessCpu.compilerNanos(List.of(self)));
        long total = ProcessCpu.totalNanos(self);

        // A JVM that has run JUnit has compiled methods; the threads are HotSpot's own.
        assertThat(ProcessCpu.compilerNanos(List.of(self))).isNotEmpty();
        assertThat(compilers).isPositive().isLessThan(total);
        var os =
                (com.sun.management.OperatingSystemMXBean)
                        ManagementFactory.getOperatingSystemMXBean();
        assertThat(total).isLessThanOrEqualTo(os.getProcessCpuTime() + 20_000_000L);
    }
}
