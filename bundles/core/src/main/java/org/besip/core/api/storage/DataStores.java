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
}
