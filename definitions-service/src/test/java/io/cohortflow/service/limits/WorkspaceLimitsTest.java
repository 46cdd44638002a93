package io.cohortflow.service.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WorkspaceLimitsTest {
    private static final long MS = 1_000_000L;

    private final AtomicLong now = new AtomicLong(1_000_000 * MS);

    private WorkspaceLimits limits(int perSecond, int inFlight) {
        return new WorkspaceLimits(
                new WorkspaceLimits.Limit(perSecond, inFlight),
                Duration.ofSeconds(1),
                Map.of(),
                now::get);
    }

    private int admitted(WorkspaceLimits l, int tries) {
        int n = 0;
        for (int i = 0; i < tries; i++) {
            WorkspaceLimits.Refusal r = l.admit("acme", "requests");
            if (r == null) {
                l.release("acme");
                n++;
            }
        }
        return n;
    }

    @Test
    void the_rate_holds_in_any_span_of_one_period_not_just_between_resets() {
        WorkspaceLimits l = limits(10, 100);
        // A burst at the end of one second and another at the start of the next: a counter
        // reset on the second let 20 through within 2 ms.
        now.addAndGet(999 * MS);
        assertThat(admitted(l, 15)).isEqualTo(10);
        now.addAndGet(2 * MS);
        assertThat(admitted(l, 15)).isZero();
        // A second after the first burst its permits are back, and no sooner.
        now.addAndGet(997 * MS);
        assertThat(admitted(l, 1)).isZero();
        now.addAndGet(1 * MS);
        assertThat(admitted(l, 15)).isEqualTo(10);
    }

    @Test
    void retry_after_says_when_the_oldest_admission_leaves_the_period() {
        WorkspaceLimits l =
                new WorkspaceLimits(
                        new WorkspaceLimits.Limit(2, 100),
                        Duration.ofMinutes(1),
                        Map.of(),
                        now::get);
        assertThat(admitted(l, 1)).isOne();
        now.addAndGet(30_000 * MS);
        assertThat(admitted(l, 1)).isOne();
        WorkspaceLimits.Refusal r = l.admit("acme", "requests");
        assertThat(r).isNotNull();
        assertThat(r.inFlight()).isFalse();
        assertThat(r.retryAfterSeconds()).isEqualTo(30);
        assertThat(r.message()).contains("more than 2 requests a minute for org acme");
    }

    @Test
    void a_request_refused_for_being_in_flight_does_not_use_up_the_rate() {
        WorkspaceLimits l = limits(3, 1);
        assertThat(l.admit("acme", "requests")).isNull(); // holds the only slot
        for (int i = 0; i < 5; i++) {
            WorkspaceLimits.Refusal r = l.admit("acme", "requests");
            assertThat(r).isNotNull();
            assertThat(r.inFlight()).isTrue();
        }
        l.release("acme");
        // Two permits of the three are left within the same second.
        assertThat(admitted(l, 5)).isEqualTo(2);
        // And a request refused for the rate holds no slot.
        assertThat(l.admit("acme", "requests")).isNotNull();
        assertThat(l.tryEnter("acme")).isTrue();
    }

    @Test
    void workspaces_have_their_own_limits_and_do_not_share_them() {
        WorkspaceLimits l =
                new WorkspaceLimits(
                        new WorkspaceLimits.Limit(2, 10),
                        Duration.ofSeconds(1),
                        Map.of("big", new WorkspaceLimits.Limit(5, 10)),
                        now::get);
        int acme = 0;
        int big = 0;
        for (int i = 0; i < 10; i++) {
            if (l.admit("acme", "requests") == null) {
                l.release("acme");
                acme++;
            }
            if (l.admit("big", "requests") == null) {
                l.release("big");
                big++;
            }
        }
        assertThat(acme).isEqualTo(2);
        assertThat(big).isEqualTo(5);
    }

    @Test
    void the_log_never_holds_more_than_the_limit() {
        SlidingLog log = new SlidingLog(100, 1_000 * MS);
        for (int i = 0; i < 1_000; i++) {
            log.tryAcquire(i * MS);
        }
        assertThat(log.capacity()).isLessThanOrEqualTo(100);
    }
}
