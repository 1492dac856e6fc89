package org.besip.core.api.storage;

import javax.sql.DataSource;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One JDBC store per module: by default an SQLite file under the box's data directory, in WAL
 * mode, created on first use; or, where {@code besip-system} says so, a schema per module in a
 * PostgreSQL database that several boxes share. Modules write SQL both understand
 * ({@link Dialect}).
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

    /** Which SQL the stores speak and whether other boxes share them. Since 1.3. */
    default Dialect dialect() {
        return Dialect.SQLITE;
    }

    /**
     * This box's name among the boxes that share a store: made at random at its first boot and
     * kept in its data directory. Since 1.3.
     */
    String boxId();

    /**
     * Tries storage settings as {@code besip-system} gives them ({@code backend} = sqlite or
     * postgresql; for postgresql {@code url}, {@code user}, {@code password}, {@code pool-size})
     * without switching to them, so that a commit is refused before anything is applied. Since 1.3.
     *
     * @return null when the box could use them, else why not, in a sentence
     */
    default String check(java.util.Map<String, String> settings) {
        throw new UnsupportedOperationException("this store does not check settings");
    }
}
