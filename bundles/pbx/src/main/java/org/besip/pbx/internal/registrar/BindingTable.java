package org.besip.pbx.internal.registrar;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import org.besip.pbx.internal.store.BackgroundWriter;

/**
 * Bindings in SQLite so that they survive a restart and a bundle update. Writes go through one
 * background thread with a bounded queue, never on the SIP transport thread; when the queue is
 * full a write is dropped and logged (the binding is refreshed by the next REGISTER anyway).
 */
public final class BindingTable implements LocationService.Listener, AutoCloseable {


    private final DataSource ds;
    private final BackgroundWriter writer;

    public BindingTable(DataSource ds) throws SQLException {
        this.ds = ds;
        this.writer = new BackgroundWriter(ds, "bindings");
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
        writer.write("insert or replace into binding (aor, contact, expires_at, call_id, cseq, user_agent, source)"
                + " values (?,?,?,?,?,?,?)", b.aor(), b.contact(), b.expiresAtMs(), b.callId(), b.cseq(), b.userAgent(), b.source());
    }

    @Override
    public void removed(String aor, String contact) {
        writer.write("delete from binding where aor = ? and contact = ?", aor, contact);
    }

    /** Waits for pending writes (bounded), e.g. before the bundle stops. */
    @Override
    public void close() throws InterruptedException {
        writer.close();
    }
}
