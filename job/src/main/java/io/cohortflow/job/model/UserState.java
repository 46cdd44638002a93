package io.cohortflow.job.model;

import io.cohortflow.core.eval.ProfileCodec;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One user's whole keyed state, as the operator holds it at the end of a backfill: the profile
 * (with the open chunk of the history, core's {@code ProfileHistory}), the sealed chunks with their
 * ids, and the per-event history of a profile stored before chunks with its keys. The bootstrap
 * savepoint is written from these, so the streaming job restores exactly what the backfill
 * computed. A Flink POJO of bytes (no Kryo).
 */
public class UserState {
    public String key = "";
    public byte[] profile = new byte[0];
    public long[] historyKeys = new long[0];
    public byte[] history = new byte[0];
    public long[] chunkIds = new long[0];

    /** The sealed chunks' events, one after the other; {@link #chunkSizes} says how many each. */
    public byte[] chunks = new byte[0];

    public int[] chunkSizes = new int[0];

    public UserState() {}

    public static UserState of(
            String key,
            UserProfile p,
            List<Map.Entry<Long, Event>> history,
            List<Map.Entry<Long, List<Event>>> sealedChunks) {
        UserState s = new UserState();
        s.key = key;
        s.profile = ProfileCodec.toBytes(p);
        s.historyKeys = new long[history.size()];
        List<Event> events = new ArrayList<>(history.size());
        for (int i = 0; i < history.size(); i++) {
            s.historyKeys[i] = history.get(i).getKey();
            events.add(history.get(i).getValue());
        }
        s.history = EventsCodec.encode(events);
        s.chunkIds = new long[sealedChunks.size()];
        s.chunkSizes = new int[sealedChunks.size()];
        List<Event> all = new ArrayList<>();
        for (int i = 0; i < sealedChunks.size(); i++) {
            s.chunkIds[i] = sealedChunks.get(i).getKey();
            s.chunkSizes[i] = sealedChunks.get(i).getValue().size();
            all.addAll(sealedChunks.get(i).getValue());
        }
        s.chunks = EventsCodec.encode(all);
        return s;
    }

    public String getKey() {
        return key;
    }

    public UserProfile profile() {
        return ProfileCodec.fromBytes(profile);
    }

    public List<Event> events() {
        return EventsCodec.decode(history);
    }

    /** The sealed chunks by id. */
    public Map<Long, List<Event>> sealedChunks() {
        List<Event> all = EventsCodec.decode(chunks);
        Map<Long, List<Event>> out = new java.util.LinkedHashMap<>();
        int from = 0;
        for (int i = 0; i < chunkIds.length; i++) {
            out.put(chunkIds[i], List.copyOf(all.subList(from, from + chunkSizes[i])));
            from += chunkSizes[i];
        }
        return out;
    }
}
