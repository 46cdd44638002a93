package io.cohortflow.core.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The rows (some held back after their entry), their exits (a column apart, for former members
 * only) and the member bits stay in step with a plain map through every change the engine makes,
 * and through the codec.
 */
class MembershipRowsTest {

    /** A membership as the map holds it. */
    private record Row(long version, long entered, long exited) {
        boolean member() {
            return exited == Long.MIN_VALUE;
        }
    }

    @Test
    void rows_exits_and_bits_agree_with_a_map_through_every_change_and_the_codec()
            throws Exception {
        Random r = new Random(11);
        for (int run = 0; run < 200; run++) {
            UserProfile p = new UserProfile();
            p.now = 1_000_000;
            MembershipRows m = p.memberships;
            TreeMap<Integer, Row> expected = new TreeMap<>();
            for (int step = 0; step < 60; step++) {
                p.now += r.nextInt(100);
                // An evaluation: entries held back (until many, or the rows are read), exits and
                // versions at once, each segment applied once; rows held back from earlier
                // evaluations exit, re-enter and take versions where they are.
                java.util.Set<Integer> applied = new java.util.HashSet<>();
                for (int k = r.nextInt(12); k > 0; k--) {
                    int ordinal = r.nextInt(150);
                    if (!applied.add(ordinal)) {
                        continue;
                    }
                    Row was = expected.get(ordinal);
                    long version = 1 + r.nextInt(3);
                    if (was == null || !was.member()) {
                        m.enter(ordinal, version, p.now);
                        expected.put(ordinal, new Row(version, p.now, Long.MIN_VALUE));
                    } else if (r.nextInt(4) == 0) {
                        // A catch-up adopting a row as it was (see CatchUp).
                        long enteredAt = p.now - r.nextInt(50);
                        long exitedAt = r.nextBoolean() ? Long.MIN_VALUE : p.now;
                        m.put(ordinal, version, enteredAt, exitedAt);
                        expected.put(ordinal, new Row(version, enteredAt, exitedAt));
                    } else if (r.nextBoolean()) {
                        m.exit(ordinal, version, p.now);
                        expected.put(ordinal, new Row(version, was.entered(), p.now));
                    } else {
                        m.refreshVersion(ordinal, version);
                        expected.put(ordinal, new Row(version, was.entered(), Long.MIN_VALUE));
                    }
                }
                m.mergeIfMany();
                // Held back or merged, a member is one at once.
                for (Map.Entry<Integer, Row> e : expected.entrySet()) {
                    assertThat(m.isMember(e.getKey())).isEqualTo(e.getValue().member());
                }
                switch (r.nextInt(4)) {
                    case 0 -> {
                        long horizon = r.nextInt(300);
                        long now = p.now;
                        m.dropExited(now, horizon);
                        expected.entrySet()
                                .removeIf(
                                        e ->
                                                !e.getValue().member()
                                                        && e.getValue().exited() + horizon <= now);
                    }
                    case 1 -> {
                        int gone = r.nextInt(150);
                        m.removeRows(o -> o % 7 == gone % 7, (o, v, member) -> {});
                        expected.keySet().removeIf(o -> o % 7 == gone % 7);
                    }
                    case 2 -> p = roundTrip(p);
                    default -> {}
                }
                m = p.memberships;
                if (r.nextInt(3) == 0) { // rows held back stay so over steps until then
                    assertAgree(m, expected, "run " + run + " step " + step);
                }
            }
        }
    }

    @Test
    void a_profile_written_from_two_threads_at_once_is_written_whole_by_both() throws Exception {
        // As Flink's heap backends do: an asynchronous snapshot and a copy of the same object.
        for (int trial = 0; trial < 300; trial++) {
            UserProfile p = withRowsHeldBack(trial);
            byte[] expected = ProfileCodec.toBytes(withRowsHeldBack(trial));
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
            java.util.concurrent.Callable<byte[]> write =
                    () -> {
                        start.await();
                        return ProfileCodec.toBytes(p);
                    };
            java.util.concurrent.ExecutorService two =
                    java.util.concurrent.Executors.newFixedThreadPool(2);
            try {
                var a = two.submit(write);
                var b = two.submit(write);
                assertThat(a.get()).as("trial %d", trial).isEqualTo(expected);
                assertThat(b.get()).as("trial %d", trial).isEqualTo(expected);
            } finally {
                two.shutdownNow();
            }
        }
    }

    /** A profile of a few thousand rows, then {@link MembershipRows#ENTERED_HELD} - 1 held back. */
    private static UserProfile withRowsHeldBack(int seed) {
        Random r = new Random(seed);
        UserProfile p = new UserProfile();
        p.now = 1_000_000;
        for (int i = 0; i < 3000; i++) {
            p.memberships.enter(2 * i, 1, p.now);
            p.memberships.mergeIfMany();
        }
        p.memberships.rows(); // all merged
        for (int i = 0; i < MembershipRows.ENTERED_HELD - 1; i++) {
            p.memberships.enter(2 * r.nextInt(3000) + 1, 2, p.now);
        }
        return p;
    }

    private static UserProfile roundTrip(UserProfile p) {
        return ProfileCodec.fromBytes(ProfileCodec.toBytes(p));
    }

    private static void assertAgree(MembershipRows m, TreeMap<Integer, Row> expected, String at) {
        OrdinalRows rows = m.rows();
        assertThat(rows.size()).as(at).isEqualTo(expected.size());
        int row = 0;
        long latestExit = Long.MIN_VALUE;
        int exits = 0;
        for (Map.Entry<Integer, Row> e : expected.entrySet()) {
            Row x = e.getValue();
            assertThat(rows.ordinal(row)).as(at).isEqualTo(e.getKey());
            assertThat(rows.get(row, MembershipRows.VERSION)).as(at).isEqualTo(x.version());
            assertThat(rows.get(row, MembershipRows.ENTERED)).as(at).isEqualTo(x.entered());
            assertThat(m.exitedAt(row)).as(at).isEqualTo(x.exited());
            assertThat(m.member(row)).as(at).isEqualTo(x.member());
            assertThat(m.isMember(e.getKey())).as(at).isEqualTo(x.member());
            latestExit = Math.max(latestExit, x.exited());
            exits += x.member() ? 0 : 1;
            row++;
        }
        assertThat(m.exits.size()).as(at + ": an exit per former member only").isEqualTo(exits);
        assertThat(m.latestExit()).as(at).isEqualTo(latestExit);
        assertThat(m.memberOrdinals())
                .as(at)
                .containsExactly(
                        expected.entrySet().stream()
                                .filter(e -> e.getValue().member())
                                .mapToInt(Map.Entry::getKey)
                                .toArray());
    }
}
