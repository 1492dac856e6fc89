package org.besip.core.api.storage;

import javax.sql.DataSource;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One JDBC store per module: an SQLite file under the box's data directory, in WAL mode,
 * created on first use.
 */
@ProviderType
public interface DataStores {

    /**
     * @param module a module name: lower-case letters, digits and '-', 1 to 32 characters
     * @throws IllegalArgumentException for any other name
     */
    DataSource dataSource(String module);

    /**
     * Whether the module's store has been created (a connection was ever made), so a module can
     * leave the database closed — and its native library unloaded — until it has something to
     * keep. Since 1.1.
     */
    boolean exists(String module);

    /**
     * A folder of files under the box's data directory ({@code <data>/<name>}, e.g. the call
     * recordings), created on first call. Since 1.2.
     *
     * @param name lower-case letters, digits and '-', 1 to 32 characters
     * @throws IllegalArgumentException for any other name
     * @throws java.io.UncheckedIOException when it cannot be created
     */
    java.nio.file.Path directory(String name);
}
