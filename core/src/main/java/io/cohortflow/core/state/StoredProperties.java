package io.cohortflow.core.state;

import java.io.DataOutput;
import java.io.IOException;
import java.util.AbstractMap;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A stored event's properties, kept as {@link EventCodec} encoded them until one is read (see
 * {@link EventCodec#readStored}); bytes that turn out not to decode then are {@link
 * CorruptStateException}. Read-only, as every event's properties are. Written back as the same
 * bytes, decoded or not.
 */
final class StoredProperties extends AbstractMap<String, Object> {
    /** The body of a map value: the count, then per entry the key and the tagged value. */
    private final byte[] encoding;

    @Nullable private Map<String, Object> decoded;

    StoredProperties(byte[] encoding) {
        this.encoding = encoding;
    }

    private Map<String, Object> decoded() {
        Map<String, Object> m = decoded;
        if (m == null) {
            try {
                m = EventCodec.properties(encoding);
            } catch (IOException | RuntimeException e) {
                // The user's stored data: whoever reads it sets the user aside (the job: a dead
                // letter), as for a stored event that does not decode at all.
                throw new CorruptStateException(
                        "a stored event's properties could not be decoded", e);
            }
            decoded = m;
        }
        return m;
    }

    /** The bytes of their encoding. */
    int length() {
        return encoding.length;
    }

    void writeTo(DataOutput out) throws IOException {
        out.write(encoding);
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        return decoded().entrySet();
    }

    @Override
    public @Nullable Object get(Object key) {
        return decoded().get(key);
    }

    @Override
    public boolean containsKey(Object key) {
        return decoded().containsKey(key);
    }

    @Override
    public int size() {
        return decoded().size();
    }

    @Override
    public boolean isEmpty() {
        return decoded().isEmpty(); // none is kept as Map.of() when written as this codec writes
    }
}
