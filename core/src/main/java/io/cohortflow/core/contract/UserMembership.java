package io.cohortflow.core.contract;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.cohortflow.core.eval.Membership;
import io.cohortflow.core.event.IsoTimes;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * One membership of a user as the API shows it: status {@code realized} (entered at the user's
 * latest instant), {@code existing} (entered earlier, still qualifies) or {@code exited}, with its
 * instants in ISO-8601 (event time) and the segment version it was last evaluated with.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record UserMembership(
        @JsonProperty("segment_id") String segmentId,
        @JsonProperty("status") String status,
        @JsonProperty("entered_at") String enteredAt,
        @JsonProperty("last_qualified_at") String lastQualifiedAt,
        @JsonProperty("exited_at") @Nullable String exitedAt,
        @JsonProperty("segment_version") long segmentVersion) {

    public static UserMembership of(String segmentId, Membership m) {
        return new UserMembership(
                segmentId,
                m.status().name().toLowerCase(Locale.ROOT),
                IsoTimes.format(m.enteredAt()),
                IsoTimes.format(m.lastQualifiedAt()),
                m.member() ? null : IsoTimes.format(m.exitedAt()),
                m.version());
    }

    public boolean member() {
        return !status.equals("exited");
    }
}
