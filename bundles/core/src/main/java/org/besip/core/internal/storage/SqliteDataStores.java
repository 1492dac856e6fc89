package org.besip.core.internal.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import org.besip.core.api.storage.DataStores;
import org.besip.core.internal.BoxPaths;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/** One SQLite file per module under {@code data/db/}, WAL mode, created on first use. */
@Component(service = DataStores.class)
public class SqliteDataStores implements DataStores {

    private static final Pattern MODULE = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private final Map<String, PooledDataSource> sources = new ConcurrentHashMap<>();
    private Path dir;

    public SqliteDataStores() {
    }

    /** For use without a framework (tests, tools). */
    public SqliteDataStores(Path dir) {
        this.dir = dir;
    }

    @Activate
    void activate(BundleContext ctx) {
        Path data = BoxPaths.from(ctx).data();
        this.dir = data.resolve("db");
        // sqlite-jdbc unpacks its native library; keep it off a tmpfs that may be tiny or noexec
        if (System.getProperty("org.sqlite.tmpdir") == null) {
            Path tmp = data.resolve("tmp");
            try {
                Files.createDirectories(tmp);
                System.setProperty("org.sqlite.tmpdir", tmp.toString());
            } catch (IOException e) {
                // fall back to java.io.tmpdir
            }
        }
    }

    /** The connections kept open are closed with the component. */
    @org.osgi.service.component.annotations.Deactivate
    void deactivate() {
        sources.values().forEach(PooledDataSource::closeIdle);
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
        if (name == null || !MODULE.matcher(name).matches()) {
            throw new IllegalArgumentException("folder name '" + name
                    + "' must be lower-case letters, digits and '-', starting with a letter, at most 32");
        }
        Path d = dir.toAbsolutePath().getParent().resolve(name);
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
        return new PooledDataSource(ds);
    }
}
