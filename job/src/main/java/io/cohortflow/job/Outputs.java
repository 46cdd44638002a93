package io.cohortflow.job;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohortflow.core.contract.AppliedRecord;
import io.cohortflow.core.contract.DeadLetterRecord;
import io.cohortflow.core.contract.EstimatePart;
import io.cohortflow.core.contract.Heartbeat;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.contract.Keys;
import io.cohortflow.core.contract.MembershipRecord;
import io.cohortflow.core.contract.RecordLimits;
import io.cohortflow.core.contract.ReplyRecord;
import io.cohortflow.core.contract.TopicNames;
import io.cohortflow.core.contract.UserMembership;
import io.cohortflow.core.eval.Explanation;
import io.cohortflow.core.eval.Membership;
import io.cohortflow.core.eval.MembershipChange;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.event.IsoTimes;
import io.cohortflow.job.model.DefinitionUpdate;
import io.cohortflow.job.model.EventsCodec;
import io.cohortflow.job.model.Inbound;
import io.cohortflow.job.model.KafkaMessage;
import java.io.IOException;
import java.io.Serializable;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The records the segmentation operator writes, each to its topic under its key: membership
 * changes, replies, dead letters and applied reports.
 */
final class Outputs implements Serializable {
    private static final long serialVersionUID = 1L;

    private final TopicNames topics;

    /** What is written is counted here (see {@link JobMetrics}). */
    private transient JobMetrics metrics = JobMetrics.NONE;

    Outputs(TopicNames topics) {
        this.topics = topics;
    }

    /** Counts what these outputs write in {@code m}. */
    Outputs metered(JobMetrics m) {
        this.metrics = m;
        return this;
    }

    /** Writes one user's membership changes, keyed by the user (see {@link Keys#of}). */
    void memberships(
            String workspace,
            String userId,
            List<MembershipChange> changes,
            java.util.function.Consumer<KafkaMessage> out) {
        if (changes.isEmpty()) {
            return;
        }
        metrics.changes(changes);
        String key = Keys.of(workspace, userId);
        MembershipRecord.Writer json = new MembershipRecord.Writer(workspace, userId);
        for (MembershipChange c : changes) {
            out.accept(membership(json, key, c.segmentId(), c.kind(), c.time(), c.version()));
        }
    }

    /**
     * A backfill's result for one user: an {@code entered} record per segment they are a member of
     * at its end, stamped with the instant they entered.
     */
    void members(
            String workspace,
            String userId,
            Map<String, Membership> memberships,
            java.util.function.Consumer<KafkaMessage> out) {
        String key = Keys.of(workspace, userId);
        MembershipRecord.Writer json = new MembershipRecord.Writer(workspace, userId);
        for (Map.Entry<String, Membership> m : memberships.entrySet()) {
            Membership ms = m.getValue();
            if (ms.member()) {
                out.accept(
                        membership(
                                json,
                                key,
                                m.getKey(),
                                MembershipChange.Kind.ENTERED,
                                ms.enteredAt(),
                                ms.version()));
            }
        }
    }

    private KafkaMessage membership(
            MembershipRecord.Writer json,
            String key,
            String segmentId,
            MembershipChange.Kind kind,
            long at,
            long version) {
        return new KafkaMessage(
                topics.memberships(), key, json.json(segmentId, kind.json(), time(at), version));
    }

    // The changes of one event or lapse share their instant: its text is made once.
    private transient long lastMillis = Long.MIN_VALUE;
    private transient String lastText;

    private String time(long millis) {
        if (millis != lastMillis || lastText == null) {
            lastText = IsoTimes.format(millis);
            lastMillis = millis;
        }
        return lastText;
    }

    /** The reply to a request: the user's cohorts, and per platform those activated on it. */
    KafkaMessage reply(
            Inbound in,
            List<String> cohorts,
            @Nullable Map<String, List<String>> activations,
            boolean replayed) {
        return toReplies(
                in, new ReplyRecord(in.requestId, in.userId, cohorts, activations, null, replayed));
    }

    /**
     * Every reply goes out keyed by its request id, to the replica that waits for it when the
     * request named one, and is counted.
     */
    private KafkaMessage toReplies(Inbound in, ReplyRecord r) {
        metrics.reply();
        KafkaMessage m = KafkaMessage.json(topics.replies(), r.requestId(), r);
        if (m.size() > RecordLimits.MAX_BYTES) {
            // An answer that grew with the client's definitions (the explanation of a segment
            // that inlines a large one many times, thousands of memberships): an error the
            // client can read, where the record itself would fail the job's sink.
            m =
                    KafkaMessage.json(
                            topics.replies(),
                            r.requestId(),
                            new ReplyRecord(
                                    r.requestId(),
                                    r.userId(),
                                    null,
                                    null,
                                    new ReplyRecord.Error(
                                            ReplyRecord.TOO_LARGE,
                                            "the answer takes "
                                                    + m.size()
                                                    + " bytes, past the "
                                                    + RecordLimits.MAX_BYTES
                                                    + " one record may"),
                                    false));
        }
        m.replyTo = in.replyTo;
        return m;
    }

    /**
     * The reply to a request about the user's state (see {@code EventEnvelope#op}): whether the job
     * knew the user, and the memberships or explanation asked for.
     */
    KafkaMessage userReply(
            Inbound in,
            boolean known,
            @Nullable List<UserMembership> memberships,
            @Nullable Explanation explanation) {
        metrics.userRequest();
        return toReplies(
                in,
                new ReplyRecord(
                        in.requestId,
                        in.userId,
                        null,
                        null,
                        null,
                        false,
                        known,
                        memberships,
                        explanation));
    }

    /** One subtask's report on one segment (keyed per subtask: each keeps its latest). */
    KafkaMessage applied(AppliedRecord a) {
        return KafkaMessage.json(
                topics.applied(), Keys.of(a.workspace(), a.id()) + "#" + a.subtask(), a);
    }

    /** A subtask's sign of life on the replies topic, with its limits (see {@link Heartbeat}). */
    KafkaMessage heartbeat(
            int subtask, long at, long maxFutureSkewMillis, long horizonMillis, int historyCap) {
        return KafkaMessage.json(
                topics.replies(),
                Heartbeat.key(subtask),
                new Heartbeat(
                        subtask,
                        java.time.Instant.ofEpochMilli(at).toString(),
                        maxFutureSkewMillis,
                        horizonMillis,
                        historyCap));
    }

    KafkaMessage errorReply(Inbound in, String code, String message) {
        return toReplies(
                in,
                new ReplyRecord(
                        in.requestId,
                        in.userId,
                        null,
                        null,
                        new ReplyRecord.Error(code, message),
                        false));
    }

    KafkaMessage deadLetter(
            Inbound in, String reason, @Nullable String detail, @Nullable String value) {
        DeadLetterRecord d =
                new DeadLetterRecord(
                        reason,
                        detail == null ? reason : detail,
                        in.topic,
                        in.partition,
                        in.offset,
                        in.rawKey,
                        value);
        metrics.deadLetter(reason);
        // Keyed by the record's key as cut in the body: a dead letter must fit in a record.
        return KafkaMessage.json(topics.deadLetter(), d.key(), d);
    }

    /** An event dead-lettered for a time more than {@code skewMillis} ahead of the clock. */
    KafkaMessage futureEvent(Inbound in, Event e, long skewMillis) {
        return deadLetter(
                in,
                "future_event",
                "event time "
                        + Instant.ofEpochMilli(e.time())
                        + " is more than "
                        + java.time.Duration.ofMillis(skewMillis)
                        + " ahead of the clock",
                eventJson(e));
    }

    /** An event the engine ignored ({@code reason}: older than the history horizon). */
    KafkaMessage ignoredEvent(Inbound in, String reason, Event e) {
        return deadLetter(
                in,
                reason,
                "event time "
                        + Instant.ofEpochMilli(e.time())
                        + " is older than the history horizon; it changes nothing",
                eventJson(e));
    }

    /**
     * A record of the broadcast side (the definitions log, an estimate request) refused, to {@code
     * side}: by subtask 0 alone, since every subtask reads each record and refuses it alike (at
     * parallelism 2 the topic held every refusal twice, and the metric counted it twice).
     */
    void definitionDeadLetter(
            DefinitionUpdate u,
            String reason,
            String detail,
            int subtask,
            java.util.function.Consumer<KafkaMessage> side) {
        if (subtask == 0) {
            side.accept(definitionDeadLetter(u, reason, detail));
        }
    }

    private KafkaMessage definitionDeadLetter(DefinitionUpdate u, String reason, String detail) {
        metrics.deadLetter(reason);
        return KafkaMessage.json(
                topics.deadLetter(),
                u.key,
                new DeadLetterRecord(
                        reason,
                        detail,
                        u.estimate ? topics.estimates() : topics.definitions(),
                        0,
                        u.offset,
                        u.key,
                        u.value == null
                                ? null
                                : new String(u.value, java.nio.charset.StandardCharsets.UTF_8)));
    }

    /** One subtask's part of an estimate, on the replies topic (see {@link EstimatePart#key}). */
    KafkaMessage estimatePart(EstimatePart part) {
        return KafkaMessage.json(topics.replies(), EstimatePart.key(part.requestId()), part);
    }

    KafkaMessage userDeadLetter(String key, String reason, String detail) {
        metrics.deadLetter(reason);
        return KafkaMessage.json(
                topics.deadLetter(),
                key,
                new DeadLetterRecord(reason, detail, topics.events(), -1, -1, key, null));
    }

    /** The record a dead letter of {@code in} carries: its raw text, or the parsed envelope's. */
    @Nullable
    static String recordText(Inbound in) {
        return in.rawValue != null ? in.rawValue : envelopeJson(in);
    }

    /** A parsed envelope back as JSON, for its dead letter (the raw text is not kept). */
    @Nullable
    static String envelopeJson(Inbound in) {
        try {
            StringBuilder b = new StringBuilder("{\"workspace\":");
            b.append(Json.MAPPER.writeValueAsString(in.workspace)).append(",\"user_id\":");
            b.append(Json.MAPPER.writeValueAsString(in.userId)).append(",\"events\":[");
            List<Event> events = EventsCodec.decode(in.events);
            for (int i = 0; i < events.size(); i++) {
                b.append(i == 0 ? "" : ",").append(eventJson(events.get(i)));
            }
            return b.append("]}").toString();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static String eventJson(Event e) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("name", e.name());
        m.put("time", Instant.ofEpochMilli(e.time()).toString());
        m.put("properties", e.properties());
        if (e.viewId() != null) {
            m.put("view_id", e.viewId());
        }
        if (e.sessionId() != null) {
            m.put("session_id", e.sessionId());
        }
        JsonNode n = Json.MAPPER.valueToTree(m);
        return n.toString();
    }
}
