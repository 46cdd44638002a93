package io.cohortflow.core.eval;

/**
 * Where the details of a user's memberships (each one's segment version, entry and exit instants)
 * are kept apart from their profile: the caller's store, as a log of the changes each operation
 * made, by entry id (see {@link UserProfile#keepMembershipsIn}). A user in hundreds of segments
 * carries a kilobyte of such details that most events neither read nor change; kept here, an event
 * writes only what changed, as one new entry, and the details are read back only when someone asks
 * for them (a lookup, an export) or the log is compacted. The profile counts the entries, so the
 * store is used by id only (the job keeps it in a RocksDB map: point reads and writes, no listing).
 */
public interface MembershipLog {

    /** Entry {@code id}: ids run from 0 to the number of entries less one, in the log's order. */
    MembershipOps read(long id);

    /** Stores {@code ops} as entry {@code id} (a blind write: a new entry, or one replaced). */
    void write(long id, MembershipOps ops);

    void delete(long id);
}
