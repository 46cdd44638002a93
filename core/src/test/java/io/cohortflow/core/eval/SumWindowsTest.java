package io.cohortflow.core.eval;

import static io.cohortflow.core.Fixture.DAY;
import static io.cohortflow.core.Fixture.HOUR;
import static io.cohortflow.core.Fixture.T0;
import static io.cohortflow.core.Fixture.ev;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohortflow.core.Fixture;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A windowed sum's memberships change where the sum a formula reads crosses its threshold, as the
 * entries leave the window, although that sum (added left to right) and one computed by taking the
 * leaving entries off the total differ in floating point: 19.99 + 5.01 less 19.99 less 5.01 is
 * 1.8e-15, and 0.1 + 0.2 + 0.3 less 0.1 is 0.5000000000000001 where 0.2 + 0.3 is 0.5. The property
 * test's sums are of small integers, which are exact, so it could not see this.
 */
class SumWindowsTest {

    /** "The metric {@code name} in the last {@code days} days is {@code op} {@code num}". */
    private static String windowedSum(String name, int days, String op, String num) {
        return Fixture.visitors(
                "{\"func\":\"container\",\"context\":\"visitors\",\"window\":{\"count\":"
                        + days
                        + ",\"unit\":\"day\"},\"pred\":{\"func\":\""
                        + op
                        + "\",\"val\":{\"func\":\"attr\",\"name\":\"metrics/"
                        + name
                        + "\"},\"num\":"
                        + num
                        + "}}");
    }

    /** Every wake-up the user's timers would give, until none is left; the changes made. */
    private static List<MembershipChange> wakeUps(Fixture f) {
        List<MembershipChange> out = new ArrayList<>();
        for (int i = 0; i < 100 && f.profile.nextExpiry() != Long.MAX_VALUE; i++) {
            out.addAll(f.advanceTo(f.profile.nextExpiry()));
        }
        assertThat(f.profile.nextExpiry()).as("wake-ups end").isEqualTo(Long.MAX_VALUE);
        return out;
    }

    @Test
    void a_sum_whose_entries_all_left_lapses_at_its_timer() {
        Fixture f = new Fixture();
        f.define("spent", windowedSum("revenue", 30, "gt", "0"));
        f.send(ev("Purchase", T0, "revenue", 19.99), ev("Purchase", T0 + HOUR, "revenue", 5.01));
        assertThat(f.member("spent")).isTrue();

        assertThat(wakeUps(f))
                .containsExactly(
                        new MembershipChange(
                                "spent", MembershipChange.Kind.EXITED, T0 + 30 * DAY + HOUR, 1));
        assertThat(f.member("spent")).isFalse();
    }

    @Test
    void a_sum_whose_entries_all_left_lapses_when_time_jumps_past_them() {
        Fixture f = new Fixture();
        f.define("spent", windowedSum("revenue", 30, "gt", "0"));
        f.send(
                ev("Purchase", T0, "revenue", 0.1),
                ev("Purchase", T0 + HOUR, "revenue", 0.2),
                ev("Purchase", T0 + 2 * HOUR, "revenue", 0.3));

        // One step over every expiry (a late timer, an idle stream's watermark): the sweep.
        assertThat(f.advanceTo(T0 + 40 * DAY))
                .containsExactly(
                        new MembershipChange(
                                "spent", MembershipChange.Kind.EXITED, T0 + 40 * DAY, 1));
    }

    @Test
    void a_sum_that_meets_its_threshold_only_after_an_entry_left_enters_then() {
        Fixture f = new Fixture();
        f.define("half", windowedSum("price", 1, "eq", "0.5"));
        f.send(
                ev("Buy", T0, "price", 0.1),
                ev("Buy", T0 + HOUR, "price", 0.2),
                ev("Buy", T0 + 2 * HOUR, "price", 0.3));
        assertThat(f.member("half")).as("0.1 + 0.2 + 0.3 is 0.6000000000000001").isFalse();

        // 0.2 + 0.3 is exactly 0.5 from the day's end of the first entry to that of the second.
        assertThat(wakeUps(f))
                .containsExactly(
                        new MembershipChange("half", MembershipChange.Kind.ENTERED, T0 + DAY, 1),
                        new MembershipChange(
                                "half", MembershipChange.Kind.EXITED, T0 + DAY + HOUR, 1));
    }

    @Test
    void a_sum_that_overflowed_still_lapses() {
        Fixture f = new Fixture();
        f.define("huge", windowedSum("revenue", 7, "ge", "1.5e308"));
        f.send(ev("Purchase", T0, "revenue", 1e308), ev("Purchase", T0 + HOUR, "revenue", 1e308));
        assertThat(f.member("huge")).isTrue();

        assertThat(wakeUps(f))
                .containsExactly(
                        new MembershipChange(
                                "huge", MembershipChange.Kind.EXITED, T0 + 7 * DAY, 1));
    }
}
