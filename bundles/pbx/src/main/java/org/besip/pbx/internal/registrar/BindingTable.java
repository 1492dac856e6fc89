package org.besip.pbx.internal.registrar;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.besip.core.api.storage.Dialect;
import org.besip.pbx.internal.store.BackgroundWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bindings in the pbx store so that they survive a restart and a bundle update. Writes go through
 * one background thread with a bounded queue, never on the SIP transport thread; when the queue
 * is full a write is dropped and logged (the binding is refreshed by the next REGISTER anyway).
 *
 * <p>Each row names the box that registered it. Where boxes share the store (PostgreSQL), a box
 * reads the others' rows every {@link #FLEET_PERIOD_MS} into its location service, so that a
 * user registered on box A is rung through box B (as Kamailio's usrloc does from a shared
 * database); a phone reachable only over its connection to A (TCP, TLS) is not reachable from B.
 */
public final class BindingTable implements LocationService.Listener, AutoCloseable {

    static final long FLEET_PERIOD_MS = 2_000;
    private static final Logger LOG = LoggerFactory.getLogger(BindingTable.class);
    private static final String COLUMNS = "aor, contact, expires_at, call_id, cseq, user_agent, source";

    private final DataSource ds;
    private final BackgroundWriter writer;
    private final String box;
    private volatile ScheduledExecutorService fleet;

    /** A table of this box's alone (tests, tools). */
    public BindingTable(DataSource ds) throws SQLException {
        this(ds, Dialect.SQLITE, "local");
    }

    public BindingTable(DataSource ds, Dialect dialect, String box) throws SQLException {
        this.ds = ds;
        this.box = box;
        this.writer = new BackgroundWriter(ds, "bindings");
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table if not exists binding (aor text not null, contact text not null, expires_at bigint not null,"
                    + " call_id text, cseq bigint, user_agent text, source text, primary key (aor, contact))");
            if (!dialect.columns(c, "binding").contains("box")) {
                st.execute("alter table binding add column box text");
            }
        }
    }

    /** This box's bindings still valid at {@code now}, for the location service at start. */
    public List<Binding> load(long now) throws SQLException {
        return select("where expires_at > ? and (box = ? or box is null)", now);
    }

    /** The other boxes' bindings valid at {@code now}, by AOR, at most {@link LocationService#MAX_TOTAL}. */
    public Map<String, List<Binding>> others(long now) throws SQLException {
        Map<String, List<Binding>> out = new HashMap<>();
        for (Binding b : select("where expires_at > ? and box <> ? limit " + LocationService.MAX_TOTAL, now)) {
            out.computeIfAbsent(b.aor(), k -> new ArrayList<>()).add(b);
        }
        return out;
    }

    private List<Binding> select(String where, long now) throws SQLException {
        List<Binding> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("select " + COLUMNS + " from binding " + where)) {
            ps.setLong(1, now);
            ps.setString(2, box);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Binding(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getString(4), rs.getLong(5),
                            rs.getString(6), rs.getString(7)));
                }
            }
        }
        return out;
    }

    /** Reads the other boxes' bindings into {@code location} now and every {@link #FLEET_PERIOD_MS}. */
    public void share(LocationService location) {
        ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pbx-fleet-bindings");
            t.setDaemon(true);
            return t;
        });
        fleet = s;
        s.scheduleWithFixedDelay(() -> {
            try {
                location.fleet(others(System.currentTimeMillis()));
            } catch (SQLException | RuntimeException e) {
                LOG.warn("cannot read the fleet's registrations: {}", e.getMessage());
            }
        }, 0, FLEET_PERIOD_MS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void added(Binding b) {
        writer.write("insert into binding (" + COLUMNS + ", box) values (?,?,?,?,?,?,?,?) on conflict (aor, contact) do update set"
                + " expires_at = excluded.expires_at, call_id = excluded.call_id, cseq = excluded.cseq,"
                + " user_agent = excluded.user_agent, source = excluded.source, box = excluded.box",
                b.aor(), b.contact(), b.expiresAtMs(), b.callId(), b.cseq(), b.userAgent(), b.source(), box);
    }

    @Override
    public void removed(String aor, String contact) {
        // only this box's row: the same phone may have registered through another box since
        writer.write("delete from binding where aor = ? and contact = ? and (box = ? or box is null)", aor, contact, box);
    }

    /** Waits for pending writes (bounded), e.g. before the bundle stops. */
    @Override
    public void close() throws InterruptedException {
        ScheduledExecutorService s = fleet;
        if (s != null) {
            s.shutdownNow();
        }
        writer.close();
    }
}
