package org.besip.core.internal.storage;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import javax.sql.DataSource;

import org.besip.core.api.storage.Dialect;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The fleet's store (design §6): one PostgreSQL database several boxes share, a schema per
 * module ({@code pbx}, {@code security}, ...; '-' becomes '_'), made on first use. Each module's
 * pool holds at most {@link PostgresSettings#poolSize()} connections. Files
 * ({@link #directory}) stay on the box.
 */
public final class PostgresDataStores implements DataStoresComponent.Backend {

    /** How long a connection attempt may take before it fails, in seconds. */
    static final int CONNECT_TIMEOUT_S = 5;

    private final PostgresSettings settings;
    private final Path data;
    private final String boxId;
    private final Map<String, PooledDataSource> sources = new ConcurrentHashMap<>();

    public PostgresDataStores(PostgresSettings settings, Path data, String boxId) {
        this.settings = settings;
        this.data = data;
        this.boxId = boxId;
    }

    @Override
    public DataSource dataSource(String module) {
        String schema = schema(module);
        return sources.computeIfAbsent(module, m -> new PooledDataSource(raw(m, schema), settings.poolSize(),
                c -> makeSchema(c, schema)));
    }

    private PGSimpleDataSource raw(String module, String schema) {
        PGSimpleDataSource ds = basic(settings);
        ds.setCurrentSchema(schema);
        ds.setApplicationName("besip " + boxId + " " + module);
        return ds;
    }

    /** Where and as whom, with the connection time-outs. */
    private static PGSimpleDataSource basic(PostgresSettings settings) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setURL(settings.url());
        ds.setUser(settings.user());
        ds.setPassword(settings.password());
        ds.setConnectTimeout(CONNECT_TIMEOUT_S);
        ds.setLoginTimeout(CONNECT_TIMEOUT_S);
        return ds;
    }

    /** Makes the module's schema if it is not there; two boxes making it at once is not an error. */
    private static void makeSchema(Connection c, String schema) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("create schema if not exists " + schema);
        } catch (SQLException e) {
            // 23505/42P06: another box made it between our check and our create
            if (!"23505".equals(e.getSQLState()) && !"42P06".equals(e.getSQLState())) {
                throw e;
            }
        }
    }

    /** Tries the settings once: null when this box can log in, else why not (for a commit's validation). */
    static String check(PostgresSettings settings) {
        String problem = settings.problem();
        if (problem != null) {
            return problem;
        }
        try (Connection c = basic(settings).getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select 1")) {
            return null;
        } catch (SQLException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            return "cannot use PostgreSQL at " + settings.url() + " as " + settings.user() + ": " + why;
        }
    }

    @Override
    public boolean exists(String module) {
        if (module == null || !SqliteDataStores.MODULE.matcher(module).matches()) {
            return false;
        }
        try (Connection c = dataSource(module).getConnection();
                PreparedStatement ps = c.prepareStatement("select count(*) from information_schema.tables where table_schema = ?")) {
            ps.setString(1, schema(module));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getInt(1) > 0;
            }
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public Path directory(String name) {
        return SqliteDataStores.directory(data, name);
    }

    @Override
    public Dialect dialect() {
        return Dialect.POSTGRESQL;
    }

    @Override
    public String boxId() {
        return boxId;
    }

    @Override
    public void close() {
        sources.values().forEach(PooledDataSource::closeIdle);
    }

    static String schema(String module) {
        if (module == null || !SqliteDataStores.MODULE.matcher(module).matches()) {
            throw new IllegalArgumentException("module name '" + module
                    + "' must be lower-case letters, digits and '-', starting with a letter, at most 32");
        }
        return module.replace('-', '_');
    }
}
