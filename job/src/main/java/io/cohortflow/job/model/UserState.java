package io.cohortflow.job.model;

import io.cohortflow.core.eval.ProfileCodec;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.event.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One user's whole keyed state, as the operator holds it at the end of a backfill: the profile
 * (with the events it holds itself, core's {@code ProfileHistory}) and the history map's entries
 * with their keys (none for a user whose events all fit in the profile). The bootstrap savepoint is
 * written from these, so the streaming job restores exactly what the backfill computed. A Flink
 * POJO of bytes (no Kryo).
 */
public class UserState {
    public String key = "";
    public byte[] profile = new byte[0];
    public long[] historyKeys = new long[0];
    public byte[] history = new byte[0];

    public UserState() {}

    public static UserState of(String key, UserProfile p, List<Map.Entry<Long, Event>> history) {
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
}
