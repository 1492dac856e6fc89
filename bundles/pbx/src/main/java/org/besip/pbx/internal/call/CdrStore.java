package org.besip.pbx.internal.call;

import java.io.IOException;
import java.io.Writer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import org.besip.core.api.storage.Dialect;
import org.besip.pbx.internal.store.BackgroundWriter;

/**
 * Call detail records ({@code cdr} table of the pbx store, SQLite or a fleet's PostgreSQL): a row is written when a call
 * starts (no end yet) and completed when it ends, so a call in progress when the box stops, even by
 * a crash, is not lost: the next start closes it with disposition {@code interrupted}. Writes go
 * through one background thread with a bounded queue, never on the SIP transport thread.
 */
public final class CdrStore implements AutoCloseable {

    static final String COLUMNS = "call_id, from_uri, to_uri, source, start_ms, answer_ms, end_ms, duration_s, disposition, hangup,"
            + " trunk, cost, recording, mos_caller, mos_callee, loss_caller, loss_callee, jitter_caller, jitter_callee";
    /** The quality columns, added to a store made before the relay measured calls. */
    private static final String[] QUALITY = { "mos_caller", "mos_callee", "loss_caller", "loss_callee", "jitter_caller", "jitter_callee" };

    private final DataSource ds;
    private final BackgroundWriter writer;
    private final String box;

    /** A store of this box's alone (tests, tools). */
    public CdrStore(DataSource ds) throws SQLException {
        this(ds, Dialect.SQLITE, "local");
    }

    /**
     * @param box this box among those sharing the store: each row says which box wrote it, and
     *        only this box's unfinished rows are closed as interrupted at its start
     */
    public CdrStore(DataSource ds, Dialect dialect, String box) throws SQLException {
        this.ds = ds;
        this.box = box;
        this.writer = new BackgroundWriter(ds, "cdr");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table if not exists cdr (id " + dialect.autoId() + ", call_id text not null, from_uri text,"
                    + " to_uri text, source text, start_ms bigint not null, answer_ms bigint, end_ms bigint, duration_s bigint,"
                    + " disposition text, hangup text, trunk text, cost double precision)");
            st.execute("create index if not exists cdr_start on cdr (start_ms)");
            java.util.Set<String> have = dialect.columns(c, "cdr");
            for (String q : QUALITY) {
                if (!have.contains(q)) {
                    st.execute("alter table cdr add column " + q + " double precision");
                }
            }
            if (!have.contains("recording")) {
                st.execute("alter table cdr add column recording text");
            }
            if (!have.contains("box")) {
                st.execute("alter table cdr add column box text");
            }
        }
    }

    /** Closes the rows of calls that were in progress when the box last stopped; returns how many. */
    public int closeInterrupted(long now) throws SQLException {
        return closeInterrupted(now, java.util.Set.of());
    }

    /**
     * Closes as {@code interrupted} the CDRs still open from the last run, except those of the
     * calls in {@code goingOn} (handed over by the previous version, which go on); returns how many.
     */
    public int closeInterrupted(long now, java.util.Set<String> goingOn) throws SQLException {
        try (Connection c = ds.getConnection();
                PreparedStatement open = c.prepareStatement("select id, call_id from cdr where end_ms is null and (box = ? or box is null)");
                PreparedStatement ps = c.prepareStatement("update cdr set end_ms = ?, disposition = 'interrupted',"
                        + " duration_s = case when answer_ms is null then 0 else (? - answer_ms) / 1000 end where id = ?")) {
            List<Long> ids = new ArrayList<>();
            open.setString(1, box);
            try (ResultSet rs = open.executeQuery()) {
                while (rs.next()) {
                    if (!goingOn.contains(rs.getString(2))) {
                        ids.add(rs.getLong(1));
                    }
                }
            }
            for (long id : ids) {
                ps.setLong(1, now);
                ps.setLong(2, now);
                ps.setLong(3, id);
                ps.addBatch();
            }
            if (!ids.isEmpty()) {
                ps.executeBatch();
            }
            return ids.size();
        }
    }

    public void started(CallTracker.Call call) {
        writer.write("insert into cdr (call_id, from_uri, to_uri, source, start_ms, trunk, box) values (?,?,?,?,?,?,?)", call.callId(),
                call.from(), call.to(), call.source(), call.startMs(), call.trunk(), box);
    }

    public void ended(CallTracker.Call call, long endMs, String disposition, String hangup) {
        Long answer = call.answerMs() > 0 ? call.answerMs() : null;
        long duration = answer == null ? 0 : Math.max(0, (endMs - answer) / 1000);
        Double cost = call.cost();
        org.besip.pbx.internal.media.MediaAnchor.Quality q = call.quality();
        writer.write("update cdr set answer_ms = ?, end_ms = ?, duration_s = ?, disposition = ?, hangup = ?, cost = ?, trunk = ?,"
                + " recording = ?, mos_caller = ?, mos_callee = ?, loss_caller = ?, loss_callee = ?, jitter_caller = ?, jitter_callee = ?"
                + " where call_id = ? and start_ms = ? and end_ms is null and (box = ? or box is null)", answer, endMs, duration, disposition, hangup, cost, call.trunk(),
                call.recording() == null ? null : "recordings/" + call.recording(),
                q == null ? null : round(q.mosCaller(), 2), q == null ? null : round(q.mosCallee(), 2), q == null ? null : round(q.lossCaller(), 2),
                q == null ? null : round(q.lossCallee(), 2), q == null ? null : round(q.jitterCaller(), 2),
                q == null ? null : round(q.jitterCallee(), 2), call.callId(), call.startMs(), box);
    }

    private static Double round(Double v, int places) {
        return v == null ? null : new java.math.BigDecimal(v).setScale(places, java.math.RoundingMode.HALF_EVEN).doubleValue();
    }

    /**
     * Waits (at most 2 s) for the CDR writes queued before now: a read sees every call that ended
     * before it (an export right after a hang-up has that call's end).
     */
    private void settled() {
        try {
            writer.submit(() -> { }).get(2, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException
                | java.util.concurrent.RejectedExecutionException e) {
            // a busy or stopping writer: read what is on disk
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes every CDR started in [{@code fromMs}, {@code toMs}) as CSV (RFC 4180), oldest first. */
    public void csv(long fromMs, long toMs, Writer out) throws SQLException, IOException {
        settled();
        out.write(COLUMNS.replace(" ", "") + "\r\n");
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from cdr where start_ms >= ? and start_ms < ? order by id")) {
            ps.setLong(1, fromMs);
            ps.setLong(2, toMs);
            try (ResultSet rs = ps.executeQuery()) {
                int n = rs.getMetaData().getColumnCount();
                while (rs.next()) {
                    for (int i = 1; i <= n; i++) {
                        if (i > 1) {
                            out.write(',');
                        }
                        Object v = rs.getObject(i);
                        out.write(v == null ? "" : quote(v.toString()));
                    }
                    out.write("\r\n");
                }
            }
        }
    }

    /** One CDR as the web page shows it. */
    public record Row(String callId, String from, String to, String source, long startMs, Long answerMs, Long endMs, Long durationS,
            String disposition, String hangup, Double mosCaller, Double mosCallee) {
    }

    /** The newest {@code limit} CDRs, newest first. */
    public java.util.List<Row> recent(int limit) throws SQLException {
        settled();
        java.util.List<Row> out = new java.util.ArrayList<>();
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement("select call_id, from_uri, to_uri, source, start_ms, answer_ms, end_ms,"
                        + " duration_s, disposition, hangup, mos_caller, mos_callee from cdr order by id desc limit ?")) {
            ps.setInt(1, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getLong(5),
                            (Long) nullable(rs, 6), (Long) nullable(rs, 7), (Long) nullable(rs, 8), rs.getString(9), rs.getString(10),
                            decimal(rs, 11), decimal(rs, 12)));
                }
            }
        }
        return out;
    }

    private static Double decimal(ResultSet rs, int i) throws SQLException {
        double v = rs.getDouble(i);
        return rs.wasNull() ? null : v;
    }

    private static Object nullable(ResultSet rs, int i) throws SQLException {
        long v = rs.getLong(i);
        return rs.wasNull() ? null : v;
    }

    private static String quote(String v) {
        boolean needs = v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0;
        // a leading = + - @ would be a formula in a spreadsheet (CSV injection): quote and prefix
        if (!v.isEmpty() && "=+-@".indexOf(v.charAt(0)) >= 0 && !v.matches("-?\\d+(\\.\\d+)?")) {
            v = "'" + v;
            needs = true;
        }
        return needs ? "\"" + v.replace("\"", "\"\"") + "\"" : v;
    }

    /** Waits for pending writes (bounded), then stops the writer. */
    @Override
    public void close() throws InterruptedException {
        writer.close(); // what is still pending after its bound is closed as interrupted at the next start
    }
}
