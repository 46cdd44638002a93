package io.cohortflow.core.bench;

import io.cohortflow.core.eval.EventChunk;
import io.cohortflow.core.eval.EventHistory;
import io.cohortflow.core.eval.HistoryChunks;
import io.cohortflow.core.eval.ListHistory;
import io.cohortflow.core.eval.ProfileHistory;
import io.cohortflow.core.eval.UserProfile;
import io.cohortflow.core.event.Event;
import io.cohortflow.core.state.ByteArrayDataInput;
import io.cohortflow.core.state.ByteArrayDataOutput;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmarks' users' histories, in one of two layouts.
 *
 * <p>{@code objects} (the default, as every figure so far was taken) is each user's events as
 * objects in a list ({@link ListHistory}): a history read costs the walk and nothing else.
 *
 * <p>{@code chunks} is the layout the job keeps: the newest events in the profile's open chunk,
 * older ones in sealed chunks held as their encodings and decoded when read ({@link
 * ProfileHistory}; the job's history-chunks state holds the same bytes in RocksDB). The engine then
 * pays for a history read and for sealing a chunk what it pays in the job, short of RocksDB's own
 * work. A profile's bytes then include its open chunk, whose events the history's bytes count too.
 */
final class BenchHistories {
    private final boolean chunked;
    private final ListHistory[] lists;
    private final EncodedChunks[] chunks;

    BenchHistories(String layout, int users) {
        switch (layout.toLowerCase(Locale.ROOT)) {
            case "chunks" -> chunked = true;
            case "objects" -> chunked = false;
            default ->
                    throw new IllegalArgumentException(
                            "history layout " + layout + ": chunks or objects");
        }
        lists = new ListHistory[chunked ? 0 : users];
        chunks = new EncodedChunks[chunked ? users : 0];
        for (int i = 0; i < users; i++) {
            if (chunked) {
                chunks[i] = new EncodedChunks();
            } else {
                lists[i] = new ListHistory();
            }
        }
    }

    /** User {@code user}'s history, around their profile {@code p} (made per operation). */
    EventHistory of(int user, UserProfile p) {
        return chunked ? ProfileHistory.of(p, NO_EVENTS, chunks[user]) : lists[user];
    }

    /** Every event of user {@code user}'s history, in time order. */
    List<Event> events(int user, UserProfile p) {
        return of(user, p).events();
    }

    /**
     * The history of profiles stored before chunks: none here, as every profile starts empty and so
     * chunked.
     */
    private static final EventHistory NO_EVENTS =
            new EventHistory() {
                @Override
                public List<Event> events() {
                    return List.of();
                }

                @Override
                public void insert(Event e, long sequence) {
                    throw new IllegalStateException("a benchmark profile without chunks");
                }

                @Override
                public Removal removeUpTo(long upTo) {
                    return new Removal(List.of(), Long.MAX_VALUE);
                }
            };

    /** One user's sealed chunks as their encodings, as the job's state holds them. */
    private static final class EncodedChunks implements HistoryChunks {
        private final Map<Long, byte[]> chunks = new HashMap<>(4);

        @Override
        public EventChunk read(long id) {
            byte[] b = chunks.get(id);
            if (b == null) {
                throw new IllegalStateException("no chunk " + id);
            }
            try {
                return EventChunk.readSealed(new ByteArrayDataInput(b), b.length);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void write(long id, EventChunk chunk) {
            try {
                ByteArrayDataOutput out = new ByteArrayDataOutput(64 * chunk.size());
                chunk.writeSealed(out);
                chunks.put(id, out.toByteArray());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void delete(long id) {
            chunks.remove(id);
        }
    }
}
