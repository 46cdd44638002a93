package io.cohortflow.service.api;

/** A group of endpoints; the app factory registers each through a {@link Router}. */
public interface Controller {
    void register(Router router);
}
