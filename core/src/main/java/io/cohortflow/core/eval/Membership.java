package io.cohortflow.core.eval;

/**
 * A user's standing in one segment. {@code realized}: entered at the user's now; {@code existing}:
 * entered earlier and still qualifies; {@code exited}: no longer qualifies. Times are event times
 * in epoch milliseconds: when it entered, when it last qualified (the user's now for a member, the
 * exit instant for an exited one), and when it exited ({@link Long#MIN_VALUE} while a member).
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
