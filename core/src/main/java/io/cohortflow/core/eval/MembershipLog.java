package io.cohortflow.core.eval;

import java.util.List;

/**
 * Where the details of a user's memberships (each one's segment version, entry and exit instants)
 * are kept apart from their profile: the caller's store, as a log of the changes each operation
 * made (see {@link UserProfile#keepMembershipsIn}). A user in hundreds of segments carries a
 * kilobyte of such details that most events neither read nor change; kept here, an event writes
 * only what changed, as one appended entry, and the details are read back only when someone asks
 * for them (a lookup, an export) or the log is compacted. The job keeps it in a RocksDB map, one
 * entry per operation that changed a membership.
 */
public interface MembershipLog {

    /** The entries, in the order of their ids (the order they were appended). */
    List<MembershipOps> entries();

    /** Stores {@code ops} under {@code id}, larger than every id stored before (a blind write). */
    void append(long id, MembershipOps ops);

    /** Removes every entry. */
    void clear();
}
