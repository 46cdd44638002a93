package io.cohortflow.job;

import io.cohortflow.core.eval.EngineStats;
import io.cohortflow.core.eval.MembershipChange;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;

/**
 * The segmentation operator's own metrics, in Flink's metric system under the group {@code
 * cohortflow} of each subtask (so any configured reporter exports them; with Prometheus's they are
 * {@code flink_taskmanager_job_task_operator_cohortflow_<name>}). Docs/operations.md lists them
 * with the dashboard and alerts built on them.
 */
public final class JobMetrics {
    private final MetricGroup group;
    private final Counter events;
    private final Counter entered;
    private final Counter exited;
    private final Counter replies;
    private final Counter userRequests;
    private final Map<String, Counter> deadLetters = new HashMap<>();

    /** Metrics of nothing: the backfill and the tests that build a function by hand. */
    static final JobMetrics NONE = new JobMetrics(null, null);

    JobMetrics(MetricGroup operator, EngineStats stats) {
        this.group = operator == null ? null : group(operator);
        if (group == null) {
            events = entered = exited = replies = userRequests = null;
            return;
        }
        events = group.counter("events");
        group.meter("events_per_second", new MeterView(events));
        entered = group.counter("memberships_entered");
        exited = group.counter("memberships_exited");
        replies = group.counter("replies");
        userRequests = group.counter("user_requests");
        // What the engine did, for cost per event (its counters only grow).
        gauge("engine_formulas_evaluated", stats::formulasEvaluated);
        gauge("engine_counters_updated", stats::countersUpdated);
        gauge("engine_history_evaluations", stats::historyEvaluations);
        gauge("engine_history_reads", stats::historyReads);
        gauge("engine_sweeps", stats::sweeps);
    }

    /** A gauge of the subtask, read when the reporter asks. */
    void gauge(String name, LongSupplier value) {
        if (group != null) {
            group.gauge(name, (Gauge<Long>) value::getAsLong);
        }
    }

    /** A gauge of a fraction (0 to 1) of the subtask. */
    void ratio(String name, java.util.function.DoubleSupplier value) {
        if (group != null) {
            group.gauge(name, (Gauge<Double>) value::getAsDouble);
        }
    }

    void events(int n) {
        if (events != null) {
            events.inc(n);
        }
    }

    void changes(List<MembershipChange> changes) {
        if (entered == null) {
            return;
        }
        for (MembershipChange c : changes) {
            (c.kind() == MembershipChange.Kind.ENTERED ? entered : exited).inc();
        }
    }

    void reply() {
        if (replies != null) {
            replies.inc();
        }
    }

    void userRequest() {
        if (userRequests != null) {
            userRequests.inc();
        }
    }

    /** A dead letter, counted by its reason ({@code dead_letters{reason="..."}}). */
    void deadLetter(String reason) {
        if (group != null) {
            deadLetters.computeIfAbsent(reason, r -> deadLetters(group, r)).inc();
        }
    }

    /**
     * The counter of dead letters of {@code reason} in a Cohortflow group ({@code operator}'s
     * "cohortflow" group): the one name the dead-letter alert and panel read, whichever operator or
     * sink writes the dead letter.
     */
    public static Counter deadLetters(MetricGroup cohortflow, String reason) {
        return cohortflow.addGroup("reason", reason).counter("dead_letters");
    }

    /** {@code operator}'s Cohortflow group, under which every metric of the job's own is. */
    public static MetricGroup group(MetricGroup operator) {
        return operator.addGroup("cohortflow");
    }
}
