package io.cohortflow.job.model;

/** Size and oldest key of a user's history map, so neither needs a scan of the map. */
public class HistoryMeta {
    public int size;
    public long oldestKey = Long.MAX_VALUE;

    public HistoryMeta() {}
}
