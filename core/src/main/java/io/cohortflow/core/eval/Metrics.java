package io.cohortflow.core.eval;

import io.cohortflow.core.definition.Attributes;
import io.cohortflow.core.definition.Val;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.event.Values;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What the aggregates of the language count. {@code metrics/occurrences}: events; {@code
 * metrics/visits}: distinct sessions; {@code metrics/visitors}: 1 if any event; any other {@code
 * metrics/x}: the numeric property {@code x} summed, and for events without that property, 1 for
 * each event named {@code x} (so {@code metrics/Pageview} counts page views and {@code
 * metrics/revenue} sums revenue). {@code total} is the same sum; {@code total-distinct} counts
 * distinct values of a dimension.
 */
public final class Metrics {
    private Metrics() {}

    /** The contribution of one event to the sum-style metric {@code name}. */
    public static double perEvent(Event e, String metric) {
        if (metric.equals(Attributes.OCCURRENCES)) {
            return 1;
        }
        Object v = Values.property(e.properties(), metric);
        Double d = Values.number(v);
        if (d != null) {
            return d;
        }
        return e.name().equals(metric) ? 1 : 0;
    }

    /** The visit an event belongs to; events without a session share one visit. */
    public static String visitKey(Event e) {
        return e.sessionId() == null ? "" : e.sessionId();
    }

    /** The value of an aggregate over a container's events. */
    public static double aggregate(Val v, List<Event> unit) {
        if (v instanceof Val.TotalDistinct td) {
            return distinct(Attributes.dimension(td.field()), unit);
        }
        String metric =
                v instanceof Val.Total t ? t.metric() : Attributes.metric(((Val.Attr) v).name());
        switch (metric) {
            case Attributes.VISITS:
                {
                    Set<String> visits = new HashSet<>();
                    for (Event e : unit) {
                        visits.add(visitKey(e));
                    }
                    return visits.size();
                }
            case Attributes.VISITORS:
                return unit.isEmpty() ? 0 : 1;
            default:
                {
                    double sum = 0;
                    for (Event e : unit) {
                        sum += perEvent(e, metric);
                    }
                    return sum;
                }
        }
    }

    private static int distinct(String path, List<Event> unit) {
        Set<String> seen = new HashSet<>();
        for (Event e : unit) {
            Object v = Values.dimension(e, path);
            if (v != null) {
                for (Object x : Values.elements(v)) {
                    String key = distinctKey(x);
                    if (key != null) {
                        seen.add(key);
                    }
                }
            }
        }
        return seen.size();
    }

    /** Distinct values compare by their text, so 1 and "1" are one value. */
    @Nullable
    public static String distinctKey(@Nullable Object x) {
        return Values.text(x);
    }
}
