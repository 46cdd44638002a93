package io.cohortflow.job;

import io.cohortflow.core.contract.ReplyRecord;
import io.cohortflow.core.eval.SegmentEngine;
import io.cohortflow.core.event.Event;
import io.cohortflow.job.model.EventsCodec;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * What of a record of the events topic {@link SegmentationFunction} may hand to the engine, each
 * check answering on its own for what it stops: a record the source could not read is
 * dead-lettered, a request that comes while the definitions are loading is refused whole, and of a
 * record's events only those this job counts, and not too far ahead of the clock, are evaluated.
 * These read no user's state: the function loads it only for what passes.
 */
final class RecordChecks {
    private final SegmentationSettings settings;
    private final SegmentEngine engine;
    private final LiveDefinitions definitions;
    private final Outputs outputs;

    RecordChecks(
            SegmentationSettings settings,
            SegmentEngine engine,
            LiveDefinitions definitions,
            Outputs outputs) {
        this.settings = settings;
        this.engine = engine;
        this.definitions = definitions;
        this.outputs = outputs;
    }

    /**
     * Whether {@code in} could not be read (its source said why): it then goes to the dead-letter
     * topic as it came, and a request gets the reason in an error reply.
     */
    boolean unreadable(Inbound in, Consumer<KafkaMessage> side) {
        if (in.valid()) {
            return false;
        }
        side.accept(outputs.deadLetter(in, in.reason, in.detail, in.rawValue));
        if (in.requestId != null) {
            side.accept(
                    outputs.errorReply(in, ReplyRecord.INVALID_REQUEST, String.valueOf(in.detail)));
        }
        return true;
    }

    /**
     * Whether {@code in} is a request that came before the definitions were read to their end: it
     * then gets a 503 reply and nothing of it is applied. A 503 tells the client to retry (and
     * proxies retry it for them): so nothing may be applied, keyed or not, or the retry applies the
     * events a second time; with a key, there is no answer to remember yet either
     * (docs/segmentation.md, "Retries"). Records that are not requests are stored meanwhile, not
     * evaluated (see {@link LiveDefinitions#evaluating}).
     */
    boolean tooEarly(Inbound in, Consumer<KafkaMessage> side) {
        if (in.requestId == null || definitions.isReady()) {
            return false;
        }
        side.accept(
                outputs.errorReply(
                        in,
                        ReplyRecord.DEFINITIONS_LOADING,
                        "the job is still reading the segment definitions; nothing was"
                                + " applied: retry shortly"));
        return true;
    }

    /**
     * The events of {@code in} the engine is to evaluate, in their order: those in the range this
     * job counts (see {@link SegmentationSettings#counts}), but for any more than the allowed skew
     * ahead of the wall clock at {@code wall}, which go to the dead-letter topic.
     */
    List<Event> events(Inbound in, long wall, Consumer<KafkaMessage> side) {
        List<Event> events = new ArrayList<>();
        for (Event e : EventsCodec.decode(in.events)) {
            if (!settings.counts(e)) {
                continue; // counted by the backfill this job was bootstrapped from, or out of range
            }
            if (engine.tooFarInFuture(e, wall)) {
                side.accept(outputs.futureEvent(in, e, settings.maxFutureSkewMillis()));
            } else {
                events.add(e);
            }
        }
        return events;
    }
}
