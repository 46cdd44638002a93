package io.cohortflow.job.backfill;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohortflow.core.contract.Json;
import io.cohortflow.core.event.EventLimits;
import io.cohortflow.job.kafka.InboundParser;
import io.cohortflow.job.model.Inbound;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.jspecify.annotations.Nullable;

/**
 * History through Flink's Table API (docs/backfill.md, "History in other formats"): tables defined
 * in SQL ({@code CREATE TABLE ... WITH ('connector' = 'filesystem', 'format' = 'csv' | 'json',
 * ...)}, or any connector on the classpath) and one query that maps their columns to events:
 *
 * <pre>
 * SELECT visitor AS user_id, 'demo' AS workspace, action AS name, ts AS `time`,
 *        JSON_OBJECT('section' VALUE section) AS properties FROM history
 * </pre>
 *
 * <p>Columns: {@code user_id}, {@code name} and {@code time} (a timestamp, epoch milliseconds as a
 * number or as text of digits, or ISO-8601 text) are required; {@code workspace} (else the
 * backfill's {@code --workspace}), {@code properties} (a JSON object's text, a map or a row),
 * {@code session_id} and {@code view_id} are optional. Each row becomes the envelope of one event
 * and is read by the same parser as the JSON lines input ({@link InboundParser}), so the same rules
 * hold and a row that breaks them goes to the dead letters with its row number.
 */
public final class TableHistory {
    /** Columns the mapping must produce. */
    static final List<String> REQUIRED = List.of("user_id", "name", "time");

    /** Columns the mapping may produce. */
    static final List<String> KNOWN =
            List.of("user_id", "name", "time", "workspace", "properties", "session_id", "view_id");

    private TableHistory() {}

    /**
     * The events of the mapped table, as the JSON lines input gives them.
     *
     * @param sql statements defining the tables, then the query mapping them to events (the last
     *     statement), {@code ;}-separated
     * @param workspace the workspace of rows without a {@code workspace} column
     * @throws IllegalArgumentException when the statements fail or the mapping lacks a column
     */
    public static DataStream<Inbound> read(
            StreamExecutionEnvironment env,
            String sql,
            @Nullable String workspace,
            EventLimits limits) {
        List<String> statements = statements(sql);
        if (statements.isEmpty()) {
            throw new IllegalArgumentException("the table file holds no statement");
        }
        String query = statements.get(statements.size() - 1);
        StreamTableEnvironment tables = StreamTableEnvironment.create(env);
        // Zone-less times are UTC here (see RowToEvent), and so in the mapping's own SQL: a
        // session in the machine's zone read CAST('2026-12-01 10:00:00' AS TIMESTAMP_LTZ) as that
        // zone's 10:00, so the same history gave other times on another machine.
        tables.getConfig().setLocalTimeZone(ZoneOffset.UTC);
        for (String statement : statements.subList(0, statements.size() - 1)) {
            try {
                tables.executeSql(statement);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException(
                        "the table definition failed: " + rootMessage(e), e);
            }
        }
        Table mapped;
        try {
            mapped = tables.sqlQuery(query);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the mapping query failed: " + rootMessage(e), e);
        }
        List<String> columns = mapped.getResolvedSchema().getColumnNames();
        List<String> missing = new ArrayList<>();
        for (String c : REQUIRED) {
            if (!columns.contains(c)) {
                missing.add(c);
            }
        }
        if (workspace == null && !columns.contains("workspace")) {
            missing.add("workspace (or --workspace)");
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException(
                    "the mapping query must name the columns "
                            + missing
                            + " (it gives "
                            + columns
                            + "; known: "
                            + KNOWN
                            + ")");
        }
        return tables.toDataStream(mapped)
                .map(new RowToEvent(columns, workspace, limits))
                .returns(TypeInformation.of(Inbound.class))
                .name("Rows to events");
    }

    /**
     * The statements of a SQL text, split at semicolons outside quotes and comments; comments
     * dropped (an apostrophe in "-- the visitor's export" opens no quote), blank statements too.
     */
    static List<String> statements(String sql) {
        List<String> out = new ArrayList<>();
        StringBuilder b = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < sql.length(); i++) {
            char c = sql.charAt(i);
            char next = i + 1 < sql.length() ? sql.charAt(i + 1) : 0;
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '-' && next == '-') {
                int end = sql.indexOf('\n', i);
                i = (end < 0 ? sql.length() : end) - 1; // the line's end is kept
                continue;
            } else if (c == '/' && next == '*') {
                int end = sql.indexOf("*/", i + 2);
                i = end < 0 ? sql.length() : end + 1;
                b.append(' ');
                continue;
            } else if (c == '\'' || c == '`' || c == '"') {
                quote = c;
            } else if (c == ';') {
                add(out, b);
                continue;
            }
            b.append(c);
        }
        add(out, b);
        return out;
    }

    private static void add(List<String> out, StringBuilder b) {
        String s = b.toString().strip();
        if (!s.isEmpty()) {
            out.add(s);
        }
        b.setLength(0);
    }

    private static String rootMessage(Throwable e) {
        Throwable c = e;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }

    /** One row as one event's envelope, parsed by the JSON lines input's rules. */
    static final class RowToEvent extends RichMapFunction<Row, Inbound> {
        private static final long serialVersionUID = 1L;

        private final List<String> columns;
        @Nullable private final String workspace;
        private transient Map<String, Integer> positions;
        private final EventLimits limits;
        private transient long row;
        private transient String source;

        RowToEvent(List<String> columns, @Nullable String workspace, EventLimits limits) {
            this.columns = List.copyOf(columns);
            this.workspace = workspace;
            this.limits = limits;
        }

        @Override
        public void open(OpenContext context) {
            source = "table#" + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
            positions = new java.util.HashMap<>();
            for (int i = 0; i < columns.size(); i++) {
                positions.put(columns.get(i), i);
            }
        }

        @Override
        public Inbound map(Row r) {
            long position = row++;
            ObjectNode envelope = Json.MAPPER.createObjectNode();
            ObjectNode event = Json.MAPPER.createObjectNode();
            String problem = null;
            try {
                Object ws = present(field(r, "workspace"));
                envelope.put("workspace", ws == null ? workspace : ws.toString());
                envelope.set("user_id", text(field(r, "user_id")));
                event.set("name", text(field(r, "name")));
                event.set("time", time(field(r, "time")));
                // Optional: no column, NULL (a Kafka record without it) or "" is no property.
                Object props = present(field(r, "properties"));
                event.set(
                        "properties",
                        props == null ? Json.MAPPER.createObjectNode() : properties(props));
                for (String id : List.of("session_id", "view_id")) {
                    Object v = present(field(r, id));
                    if (v != null) {
                        event.put(id, v.toString());
                    }
                }
            } catch (RuntimeException e) {
                problem = e.getMessage();
            }
            ArrayNode events = envelope.putArray("events");
            events.add(event);
            byte[] value = Json.bytes(envelope);
            Inbound in =
                    InboundParser.parse(null, value, source, 0, position, Long.MIN_VALUE, limits);
            if (problem != null) {
                // Why the row could not be read (a properties text that is not JSON, say) says
                // more than what the envelope built without it lacks.
                in.reason = "invalid_row";
                in.detail = problem;
            }
            return in;
        }

        /** An optional column's value, null when absent: a CSV reads an empty cell as "". */
        private static @Nullable Object present(@Nullable Object v) {
            return v instanceof String t && t.isEmpty() ? null : v;
        }

        @Nullable
        private Object field(Row r, String name) {
            Integer i = positions.get(name);
            return i == null ? null : r.getField(i);
        }

        private static JsonNode text(@Nullable Object v) {
            return v == null
                    ? Json.MAPPER.nullNode()
                    : Json.MAPPER.getNodeFactory().textNode(v.toString());
        }

        /**
         * A timestamp as ISO-8601 (a zone-less one read as UTC), epoch millis as they are, and text
         * of digits alone as epoch millis: handed to the event parser as a number, whose one rule
         * for event times (range included) then judges it as it judges a JSON line's.
         */
        private static JsonNode time(@Nullable Object v) {
            if (v instanceof Instant i) {
                return Json.MAPPER.getNodeFactory().textNode(i.toString());
            }
            if (v instanceof LocalDateTime t) {
                return Json.MAPPER
                        .getNodeFactory()
                        .textNode(t.toInstant(ZoneOffset.UTC).toString());
            }
            if (v instanceof Number n) {
                return millis(n);
            }
            if (v instanceof String t) {
                String digits = t.strip();
                if (!digits.isEmpty() && digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    // A STRING column of epoch milliseconds (a CSV's "1764583217000"); a number
                    // past a long stays one, for the parser to refuse rather than wrap round.
                    return Json.MAPPER.getNodeFactory().numberNode(new BigInteger(digits));
                }
                LocalDateTime local = zoneless(t);
                if (local != null) {
                    return time(local); // as a TIMESTAMP column is read: UTC
                }
            }
            return text(v);
        }

        /**
         * A numeric column as epoch milliseconds, handed to the event parser as the number it is
         * when whole, for its rule to judge: a fraction, NaN or a value past a long is refused
         * there, as in a JSON line, where {@code longValue()} truncated, made NaN 1970 and wrapped
         * a DECIMAL past a long round into an ordinary-looking time.
         */
        private static JsonNode millis(Number n) {
            var nodes = Json.MAPPER.getNodeFactory();
            if (n instanceof BigInteger b) {
                return nodes.numberNode(b);
            }
            if (n instanceof java.math.BigDecimal d) {
                try {
                    return nodes.numberNode(d.toBigIntegerExact());
                } catch (ArithmeticException fraction) {
                    return nodes.numberNode(d);
                }
            }
            if (n instanceof Double || n instanceof Float) {
                double d = n.doubleValue();
                return Double.isFinite(d) && d == Math.rint(d)
                        ? nodes.numberNode(new java.math.BigDecimal(d).toBigInteger())
                        : nodes.numberNode(d);
            }
            return nodes.numberNode(n.longValue()); // byte, short, int, long: exact
        }

        /**
         * A text time without an offset, ISO ("2026-12-01T10:00:17") or SQL ("2026-12-01
         * 10:00:17.5"), as a warehouse writes it; null for any other text (an offset's or not a
         * time, which the event parser judges).
         */
        private static @Nullable LocalDateTime zoneless(String t) {
            try {
                return LocalDateTime.parse(t.trim().replace(' ', 'T'));
            } catch (java.time.format.DateTimeParseException e) {
                return null;
            }
        }

        private static JsonNode properties(Object v) {
            if (v instanceof Map<?, ?> m) {
                ObjectNode o = Json.MAPPER.createObjectNode();
                m.forEach((k, x) -> o.set(String.valueOf(k), Json.MAPPER.valueToTree(x)));
                return o;
            }
            if (v instanceof Row row) {
                ObjectNode o = Json.MAPPER.createObjectNode();
                for (String f : row.getFieldNames(true)) {
                    o.set(f, Json.MAPPER.valueToTree(row.getField(f)));
                }
                return o;
            }
            try {
                return Json.MAPPER.readTree(v.toString());
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("properties is not a JSON object: " + v);
            }
        }
    }
}
