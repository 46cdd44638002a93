package io.cohortflow.service.api;

import io.javalin.http.Handler;

/** How a controller registers its handlers: always against a row of {@link ApiRoutes}. */
@FunctionalInterface
public interface Router {
    void route(ApiRoutes.Route route, Handler handler);
}
