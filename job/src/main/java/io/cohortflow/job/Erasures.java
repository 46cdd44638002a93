package io.cohortflow.job;

import io.cohortflow.core.eval.Membership;
import io.cohortflow.core.eval.MembershipChange;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.state.CorruptStateException;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.flink.streaming.api.TimerService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Erasing the current user ({@code "op": "erase"}), for {@link SegmentationFunction}: every
 * membership they hold ends ({@code exited} records, audience counts down), then their profile,
 * history, answered requests and pending lapse timer go, and the reply says so. A replay of the
 * record after a restore from an earlier checkpoint erases again.
 *
 * <p>Also while the definitions are loading, at once: erasing evaluates nothing, and the
 * memberships are named by the workspace's catalog ready or not, whose numbering is restored with
 * the state (or taken from the backfill that bootstrapped the job), so it names every membership a
 * stored profile holds, as it will once the definitions are read. Refusing the record then lost the
 * erasure for good when it was a replay after a restore (no client retries it), and the user came
 * back.
 */
final class Erasures {
    private static final Logger LOG = LoggerFactory.getLogger(Erasures.class);

    private final UserStore user;
    private final LiveDefinitions definitions;
    private final UserRequests requests;
    private final Outputs outputs;
    private final WakeUps.Emitter emitter;

    Erasures(
            UserStore user,
            LiveDefinitions definitions,
            UserRequests requests,
            Outputs outputs,
            WakeUps.Emitter emitter) {
        this.user = user;
        this.definitions = definitions;
        this.requests = requests;
        this.outputs = outputs;
        this.emitter = emitter;
    }

    /**
     * Erases the user of {@code in}: the exits to {@code out}, the reply (and a dead letter, for a
     * user whose state cannot be read) to {@code side}. {@code timers} gives the watermark the
     * exits are stamped with (no earlier than the user's latest instant) and holds their timer.
     */
    void erase(
            Inbound in,
            TimerService timers,
            Consumer<KafkaMessage> out,
            Consumer<KafkaMessage> side) {
        UserProfile stored;
        try {
            stored = user.peek();
        } catch (CorruptStateException e) {
            // The bytes are kept for whoever repairs them (UserStore), but not past an erasure,
            // whose point is that they go: what they held cannot be named, so no exits.
            LOG.warn("erasing {}, whose stored state could not be read", in.getKey(), e);
            user.forgetUnreadable();
            side.accept(
                    outputs.userDeadLetter(
                            in.getKey(),
                            "evaluation_failed",
                            "erased a user whose stored state could not be read: the exits of"
                                    + " their memberships could not be written ("
                                    + e.getMessage()
                                    + ")"));
            side.accept(requests.erased(in, true, Map.of(), List.of()));
            return;
        }
        UserProfile profile = stored == null ? new UserProfile() : stored;
        Map<String, Membership> held = profile.memberships(definitions.catalog(in.workspace));
        List<MembershipChange> exits = UserRequests.exits(profile, held, timers.currentWatermark());
        KafkaMessage reply = requests.erased(in, stored != null, held, exits);
        user.forget(profile, timers);
        emitter.emit(in.workspace, in.userId, exits, out);
        side.accept(reply);
    }
}
