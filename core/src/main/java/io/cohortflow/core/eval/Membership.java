package io.cohortflow.core.eval;

/**
 * A user's standing in one segment. {@code realized}: entered at the latest evaluation; {@code
 * existing}: qualified before and still does; {@code exited}: no longer qualifies. Times are event
 * times in epoch milliseconds; {@code exitedAt} is {@link Long#MIN_VALUE} while a member.
 */
public record Membership(
        Status status, long version, long enteredAt, long lastQualifiedAt, long exitedAt) {

    public enum Status {
        REALIZED,
        EXISTING,
        EXITED
    }

    public boolean member() {
        return status != Status.EXITED;
    }
}
