package io.cohortflow.core.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class MembershipRecordTest {
    /** Any text: quotes, backslashes, control characters, non-ASCII, surrogate pairs. */
    private static String text(Random r) {
        String alphabet = "aZ9 \"\\/\n\t\u0001\u001f\u00e9\u4e2d\ud83d\ude00<>&'";
        StringBuilder b = new StringBuilder();
        for (int i = r.nextInt(12); i > 0; i--) {
            int at = r.nextInt(alphabet.length());
            char c = alphabet.charAt(at);
            if (Character.isHighSurrogate(c)) {
                b.append(c).append(alphabet.charAt(at + 1));
            } else if (!Character.isLowSurrogate(c)) {
                b.append(c);
            }
        }
        return b.toString();
    }

    @Test
    void the_hand_written_json_reads_as_what_the_general_writer_writes() throws Exception {
        Random r = new Random(3);
        for (int i = 0; i < 2_000; i++) {
            MembershipRecord m =
                    new MembershipRecord(
                            text(r),
                            text(r),
                            text(r),
                            r.nextBoolean() ? "entered" : "exited",
                            "2026-12-02T10:00:00.123Z",
                            r.nextLong());
            // Equal once read: the general writer escapes characters outside the BMP as
            // surrogate pairs, this one writes them as UTF-8; both are the same JSON string.
            assertThat(Json.MAPPER.readTree(m.toJson()))
                    .isEqualTo(Json.MAPPER.readTree(Json.bytes(m)));
            assertThat(Json.read(m.toJson(), MembershipRecord.class)).isEqualTo(m);
        }
    }

    @Test
    void one_writer_writes_many_records_of_a_user_each_as_its_own() throws Exception {
        Random r = new Random(5);
        String[] pool = {text(r), text(r), "seg-1", "\"quoted\" \\ \u00e9", "x".repeat(300)};
        long[] versions = {0, 1, -1, 9, 10, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1};
        for (int u = 0; u < 200; u++) {
            String workspace = text(r);
            String user = text(r);
            MembershipRecord.Writer w = new MembershipRecord.Writer(workspace, user);
            String[] times = {"2026-12-02T10:00:00Z", text(r), "2026-12-02T10:00:01.500Z"};
            for (int i = 0; i < 20; i++) {
                // Times repeat and change (the writer keeps the last one's bytes), ids are
                // plain or need escaping, lengths outgrow the first buffer.
                MembershipRecord m =
                        new MembershipRecord(
                                workspace,
                                user,
                                i % 7 == 0
                                        ? "x".repeat(300) + text(r)
                                        : i % 2 == 0 ? pool[r.nextInt(pool.length)] : text(r),
                                r.nextBoolean() ? "entered" : "exited",
                                times[r.nextInt(times.length)],
                                i % 3 == 0 ? versions[r.nextInt(versions.length)] : r.nextLong());
                assertThat(
                                Json.read(
                                        w.json(m.segmentId(), m.change(), m.time(), m.version()),
                                        MembershipRecord.class))
                        .isEqualTo(m);
            }
        }
    }
}
