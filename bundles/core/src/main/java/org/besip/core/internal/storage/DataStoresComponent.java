package org.besip.core.internal.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

import javax.sql.DataSource;

import org.besip.core.api.storage.AtomicFiles;
import org.besip.core.api.storage.DataStores;
import org.besip.core.api.storage.Dialect;
import org.besip.core.internal.BoxPaths;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The box's {@link DataStores}: SQLite files under {@code data/db} unless the configuration
 * {@value #PID} (written from {@code besip-system}'s {@code storage}) names PostgreSQL. A change
 * of that configuration makes a new component, so the modules that keep data start again on the
 * new store (the pbx hands its calls over to itself across that, as across an upgrade).
 */
@Component(service = DataStores.class, configurationPid = DataStoresComponent.PID, configurationPolicy = ConfigurationPolicy.OPTIONAL)
public class DataStoresComponent implements DataStores {

    public static final String PID = "org.besip.core.storage";
    private static final Logger LOG = LoggerFactory.getLogger(DataStoresComponent.class);

    /** A backend's stores, which close the connections they keep when the component goes. */
    interface Backend extends DataStores {
        void close();
    }

    private Backend target;

    @Activate
    void activate(BundleContext ctx, Map<String, Object> props) {
        Path data = BoxPaths.from(ctx).data();
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
        String boxId = boxId(data);
        PostgresSettings pg = PostgresSettings.from(props);
        if (pg != null && pg.problem() == null) {
            target = new PostgresDataStores(pg, data, boxId);
            LOG.info("stores: {}, this box is {}", pg, boxId);
        } else {
            if (pg != null) {
                LOG.error("stores: {}; keeping the embedded SQLite store", pg.problem());
            }
            target = new SqliteDataStores(data.resolve("db"), boxId);
        }
    }

    @Deactivate
    void deactivate() {
        target.close();
    }

    /** The box's id among a fleet: random at first boot, kept in {@code data/box-id}. */
    static String boxId(Path data) {
        Path file = data.resolve("box-id");
        try {
            if (Files.exists(file)) {
                String id = Files.readString(file, StandardCharsets.US_ASCII).trim();
                if (id.matches("[0-9a-f]{16}")) {
                    return id;
                }
            }
            byte[] b = new byte[8];
            new SecureRandom().nextBytes(b);
            String id = HexFormat.of().formatHex(b);
            Files.createDirectories(data);
            AtomicFiles.write(file, (id + "\n").getBytes(StandardCharsets.US_ASCII));
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the box's id in " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public DataSource dataSource(String module) {
        return target.dataSource(module);
    }

    @Override
    public boolean exists(String module) {
        return target.exists(module);
    }

    @Override
    public Path directory(String name) {
        return target.directory(name);
    }

    @Override
    public Dialect dialect() {
        return target.dialect();
    }

    @Override
    public String boxId() {
        return target.boxId();
    }

    @Override
    public String check(Map<String, String> settings) {
        String backend = settings.getOrDefault("backend", "sqlite");
        if ("sqlite".equals(backend)) {
            return null;
        }
        if (!"postgresql".equals(backend)) {
            return "unknown storage backend '" + backend + "': sqlite or postgresql";
        }
        PostgresSettings pg = PostgresSettings.from(settings);
        return PostgresDataStores.check(pg);
    }
}
