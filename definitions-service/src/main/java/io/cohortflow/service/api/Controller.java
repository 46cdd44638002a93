package io.cohortflow.service.api;

import io.cohortflow.service.segments.SegmentService;

/** A group of endpoints; the app factory registers each through a {@link Router}. */
public interface Controller {
    void register(Router router);

    /**
     * The Segments API's service, given by the app factory before {@link #register}: for a
     * controller whose answers show a segment's definition, which then applies the Segments API's
     * access rule to it ({@link SegmentService#requireVisibleIfStored}).
     */
    default void segments(SegmentService segments) {}
}
