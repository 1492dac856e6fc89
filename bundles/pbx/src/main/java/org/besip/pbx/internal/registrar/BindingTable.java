package org.besip.pbx.internal.registrar;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bindings in SQLite so that they survive a restart and a bundle update. Writes go through one
 * background thread with a bounded queue, never on the SIP transport thread; when the queue is
 * full a write is dropped and logged (the binding is refreshed by the next REGISTER anyway).
 */
public final class BindingTable implements LocationService.Listener, AutoCloseable {

    static final int MAX_PENDING = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(BindingTable.class);

    private final DataSource ds;
    private final ExecutorService writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(MAX_PENDING), r -> {
                Thread t = new Thread(r, "pbx-bindings");
                t.setDaemon(true);
                return t;
            }, (r, e) -> LOG.warn("binding store busy: a write was dropped"));

    public BindingTable(DataSource ds) throws SQLException {
        this.ds = ds;
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table if not exists binding (aor text not null, contact text not null, expires_at integer not null,"
                    + " call_id text, cseq integer, user_agent text, source text, primary key (aor, contact))");
        }
    }

    /** Bindings still valid at {@code now}, for the location service at start. */
    public List<Binding> load(long now) throws SQLException {
        List<Binding> out = new ArrayList<>();
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement("select aor, contact, expires_at, call_id, cseq, user_agent, source"
                        + " from binding where expires_at > ?")) {
            ps.setLong(1, now);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Binding(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getString(4), rs.getLong(5),
                            rs.getString(6), rs.getString(7)));
                }
            }
        }
        return out;
    }

    @Override
    public void added(Binding b) {
        writer.execute(() -> write("insert or replace into binding (aor, contact, expires_at, call_id, cseq, user_agent, source)"
                + " values (?,?,?,?,?,?,?)", b.aor(), b.contact(), b.expiresAtMs(), b.callId(), b.cseq(), b.userAgent(), b.source()));
    }

    @Override
    public void removed(String aor, String contact) {
        writer.execute(() -> write("delete from binding where aor = ? and contact = ?", aor, contact));
    }

    private void write(String sql, Object... args) {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
        } catch (SQLException e) {
            LOG.warn("binding store: {}", e.getMessage());
        }
    }

    /** Waits for pending writes (bounded), e.g. before the bundle stops. */
    @Override
    public void close() throws InterruptedException {
        writer.shutdown();
        writer.awaitTermination(5, TimeUnit.SECONDS);
    }
}
