package org.besip.monitoring.internal.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import org.besip.core.api.quality.QualityResult;
import org.besip.core.api.quality.StreamStats;
import org.besip.core.api.storage.Dialect;

/**
 * Scored streams in SQLite (the monitoring module's own store), with retention by count and
 * age so that a small box never fills its disk.
 */
public final class QualityStore {

    /** One stored stream, as the web page and the Zabbix agent read it. */
    public record Row(long time, String src, String dst, String ssrc, String codec, long packets, double lossPct,
            double burstR, double jitterMs, double delayMs, Double r, Double mos, String callId) {
    }

    private final DataSource ds;

    /** A store of this box's alone (tests, tools). */
    public QualityStore(DataSource ds) throws SQLException {
        this(ds, Dialect.SQLITE);
    }

    public QualityStore(DataSource ds, Dialect dialect) throws SQLException {
        this.ds = ds;
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            // on SQLite "integer primary key" is the row id, as before
            st.execute("create table if not exists stream (id " + (dialect == Dialect.SQLITE ? "integer primary key" : dialect.autoId())
                    + ", time bigint not null, src text, dst text, ssrc text, codec text, packets bigint, loss_pct double precision,"
                    + " burst_r double precision, jitter_ms double precision, delay_ms double precision,"
                    + " r double precision, mos double precision, call_id text)");
            st.execute("create index if not exists stream_time on stream(time)");
        }
    }

    /** @param time end of the stream, epoch milliseconds */
    public void add(QualityResult q, long time, String callId) throws SQLException {
        StreamStats s = q.stats();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "insert into stream (time, src, dst, ssrc, codec, packets, loss_pct, burst_r, jitter_ms, delay_ms, r, mos, call_id)"
                        + " values (?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
            ps.setLong(1, time);
            ps.setString(2, s.key().src());
            ps.setString(3, s.key().dst());
            ps.setString(4, s.key().ssrcHex());
            ps.setString(5, s.codec());
            ps.setLong(6, s.packets());
            ps.setDouble(7, s.lossPercent());
            ps.setDouble(8, s.burstR());
            ps.setDouble(9, s.jitterMs());
            ps.setDouble(10, q.delayMs());
            ps.setObject(11, q.r());
            ps.setObject(12, q.mos());
            ps.setString(13, callId);
            ps.executeUpdate();
        }
    }

    /** Deletes what is older than {@code maxAgeMs} or beyond the newest {@code maxRows}. */
    public int prune(long now, long maxAgeMs, long maxRows) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement old = c.prepareStatement("delete from stream where time < ?");
                PreparedStatement over = c.prepareStatement(
                        "delete from stream where id <= (select id from stream order by id desc limit 1 offset ?)")) {
            old.setLong(1, now - maxAgeMs);
            int n = old.executeUpdate();
            over.setLong(1, maxRows);
            return n + over.executeUpdate();
        }
    }

    /**
     * The newest streams, newest first, optionally only those from {@code since} (epoch ms) and
     * with {@code address} in their source or destination.
     */
    public List<Row> recent(long since, String address, int limit) throws SQLException {
        List<Row> rows = new ArrayList<>();
        String sql = "select time, src, dst, ssrc, codec, packets, loss_pct, burst_r, jitter_ms, delay_ms, r, mos, call_id"
                + " from stream where time >= ?" + (address == null || address.isBlank() ? "" : " and (src like ? or dst like ?)")
                + " order by time desc, id desc limit ?";
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            ps.setLong(i++, since);
            if (address != null && !address.isBlank()) {
                String like = "%" + address.replace("%", "").replace("_", "") + "%";
                ps.setString(i++, like);
                ps.setString(i++, like);
            }
            ps.setInt(i, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getLong(6), rs.getDouble(7), rs.getDouble(8), rs.getDouble(9), rs.getDouble(10),
                            nullable(rs, 11), nullable(rs, 12), rs.getString(13)));
                }
            }
        }
        return rows;
    }

    private static Double nullable(ResultSet rs, int column) throws SQLException {
        double v = rs.getDouble(column);
        return rs.wasNull() ? null : v;
    }

    /** Mean MOS of the streams scored since {@code since}; null when there are none. */
    public Double meanMos(long since) throws SQLException {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(
                "select avg(mos) from stream where time >= ? and mos is not null")) {
            ps.setLong(1, since);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                double v = rs.getDouble(1);
                return rs.wasNull() ? null : v;
            }
        }
    }
}
