package org.besip.core.internal.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The embedded default: one SQLite file per module under {@code data/db/}, WAL mode, created on
 * first use. {@link DataStoresComponent} chooses it unless {@code besip-system} names PostgreSQL.
 */
public class SqliteDataStores implements DataStoresComponent.Backend {

    static final Pattern MODULE = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private final Map<String, PooledDataSource> sources = new ConcurrentHashMap<>();
    private final Path dir;
    private final String boxId;

    /** For use without a framework (tests, tools). */
    public SqliteDataStores(Path dir) {
        this(dir, "local");
    }

    /** @param dir where the files go ({@code data/db}); its parent holds {@link #directory}'s folders */
    public SqliteDataStores(Path dir, String boxId) {
        this.dir = dir;
        this.boxId = boxId;
    }

    /** Closes the connections kept open (the store is going away). */
    @Override
    public void close() {
        sources.values().forEach(PooledDataSource::closeIdle);
    }

    @Override
    public String boxId() {
        return boxId;
    }

    @Override
    public DataSource dataSource(String module) {
        if (module == null || !MODULE.matcher(module).matches()) {
            throw new IllegalArgumentException("module name '" + module
                    + "' must be lower-case letters, digits and '-', starting with a letter, at most 32");
        }
        return sources.computeIfAbsent(module, this::open);
    }

    @Override
    public boolean exists(String module) {
        return module != null && MODULE.matcher(module).matches() && Files.exists(dir.resolve(module + ".db"));
    }

    @Override
    public Path directory(String name) {
        return directory(dir.toAbsolutePath().getParent(), name);
    }

    /** {@code data/<name>}, made on first call: the same for either backend (files stay local). */
    static Path directory(Path data, String name) {
        if (name == null || !MODULE.matcher(name).matches()) {
            throw new IllegalArgumentException("folder name '" + name
                    + "' must be lower-case letters, digits and '-', starting with a letter, at most 32");
        }
        Path d = data.resolve(name);
        try {
            Files.createDirectories(d);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + d + ": " + e.getMessage(), e);
        }
        return d;
    }

    private PooledDataSource open(String module) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout(5_000);
        config.enforceForeignKeys(true);
        SQLiteDataSource ds = new SQLiteDataSource(config);
        ds.setUrl("jdbc:sqlite:" + dir.resolve(module + ".db"));
        return new PooledDataSource(ds, Integer.MAX_VALUE, null);
    }
}
