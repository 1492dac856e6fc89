package org.besip.security.internal.block;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import org.besip.core.api.storage.Dialect;

/**
 * The module's SQLite file: the blocks in force with their expiry (so they survive a restart and
 * an update of the bundle) and the alerts (a row each: time, rule, message, source, destination,
 * what was done). Called on the module's worker thread, never on a transport thread.
 */
public final class SecurityStore {

    /** One alert row. */
    public record Alert(long atMs, long sid, String msg, String classtype, String source, String destination, String action) {
    }

    private final DataSource ds;
    private volatile boolean ready;

    /** Opens nothing yet: the file and its tables are made on first use. */
    private final Dialect dialect;

    /** A store of this box's alone (tests, tools). */
    public SecurityStore(DataSource ds) {
        this(ds, Dialect.SQLITE);
    }

    public SecurityStore(DataSource ds, Dialect dialect) {
        this.ds = ds;
        this.dialect = dialect;
    }

    private Connection connection() throws SQLException {
        if (!ready) {
            schema();
        }
        return ds.getConnection();
    }

    private synchronized void schema() throws SQLException {
        if (ready) {
            return;
        }
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS blocks (address TEXT PRIMARY KEY, since_ms BIGINT NOT NULL, until_ms BIGINT NOT NULL, "
                    + "reason TEXT, sid BIGINT)");
            s.execute("CREATE TABLE IF NOT EXISTS alerts (id " + dialect.autoId() + ", at_ms BIGINT NOT NULL, sid BIGINT, msg TEXT, "
                    + "classtype TEXT, source TEXT, destination TEXT, action TEXT)");
            s.execute("CREATE INDEX IF NOT EXISTS alerts_at ON alerts(at_ms)");
        }
        ready = true;
    }

    public void saveBlock(Blocklist.Block b) throws SQLException {
        try (Connection c = connection();
                PreparedStatement p = c.prepareStatement("INSERT INTO blocks (address, since_ms, until_ms, reason, sid)"
                        + " VALUES (?, ?, ?, ?, ?) ON CONFLICT (address) DO UPDATE SET since_ms = excluded.since_ms,"
                        + " until_ms = excluded.until_ms, reason = excluded.reason, sid = excluded.sid")) {
            p.setString(1, b.address().getHostAddress());
            p.setLong(2, b.sinceMs());
            p.setLong(3, b.untilMs());
            p.setString(4, b.reason());
            p.setLong(5, b.sid());
            p.executeUpdate();
        }
    }

    public void deleteBlock(InetAddress a) throws SQLException {
        try (Connection c = connection(); PreparedStatement p = c.prepareStatement("DELETE FROM blocks WHERE address = ?")) {
            p.setString(1, a.getHostAddress());
            p.executeUpdate();
        }
    }

    /** The blocks saved and not expired at {@code now}; expired ones are deleted. */
    public List<Blocklist.Block> blocks(long now) throws SQLException {
        List<Blocklist.Block> out = new ArrayList<>();
        try (Connection c = connection()) {
            try (PreparedStatement d = c.prepareStatement("DELETE FROM blocks WHERE until_ms <> 0 AND until_ms <= ?")) {
                d.setLong(1, now);
                d.executeUpdate();
            }
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT address, since_ms, until_ms, reason, sid FROM blocks")) {
                while (r.next()) {
                    try {
                        out.add(new Blocklist.Block(InetAddress.getByName(r.getString(1)), r.getLong(2), r.getLong(3), r.getString(4),
                                r.getLong(5)));
                    } catch (UnknownHostException e) {
                        // not a literal: never written by us
                    }
                }
            }
        }
        return out;
    }

    public void saveAlert(Alert a) throws SQLException {
        try (Connection c = connection();
                PreparedStatement p = c.prepareStatement(
                        "INSERT INTO alerts (at_ms, sid, msg, classtype, source, destination, action) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            p.setLong(1, a.atMs());
            p.setLong(2, a.sid());
            p.setString(3, a.msg());
            p.setString(4, a.classtype());
            p.setString(5, a.source());
            p.setString(6, a.destination());
            p.setString(7, a.action());
            p.executeUpdate();
        }
    }

    /** The last {@code n} alerts, newest first. */
    public List<Alert> recentAlerts(int n) throws SQLException {
        return alerts(Long.MIN_VALUE, "DESC", n);
    }

    /** The alerts since {@code fromMs}, oldest first, at most {@code n}. */
    public List<Alert> alertsSince(long fromMs, int n) throws SQLException {
        return alerts(fromMs, "ASC", n);
    }

    private List<Alert> alerts(long fromMs, String order, int n) throws SQLException {
        List<Alert> out = new ArrayList<>();
        try (Connection c = connection();
                PreparedStatement p = c.prepareStatement("SELECT at_ms, sid, msg, classtype, source, destination, action FROM alerts "
                        + "WHERE at_ms >= ? ORDER BY id " + order + " LIMIT ?")) {
            p.setLong(1, fromMs);
            p.setInt(2, n);
            try (ResultSet r = p.executeQuery()) {
                while (r.next()) {
                    out.add(new Alert(r.getLong(1), r.getLong(2), r.getString(3), r.getString(4), r.getString(5), r.getString(6), r.getString(7)));
                }
            }
        }
        return out;
    }

    public int pruneAlerts(long beforeMs) throws SQLException {
        try (Connection c = connection(); PreparedStatement p = c.prepareStatement("DELETE FROM alerts WHERE at_ms < ?")) {
            p.setLong(1, beforeMs);
            return p.executeUpdate();
        }
    }
}
