package io.cohortflow.core.eval;

/**
 * A user entered or exited a segment at event time {@code time}, under definition {@code version}.
 */
public record MembershipChange(String segmentId, Kind kind, long time, long version) {

    public enum Kind {
        ENTERED,
        EXITED;

        public String json() {
            return this == ENTERED ? "entered" : "exited";
        }
    }
}
