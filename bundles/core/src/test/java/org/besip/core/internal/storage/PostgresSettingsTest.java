package org.besip.core.internal.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fleet store's settings: what is refused before a connection is tried, and the box's id. */
class PostgresSettingsTest {

    @TempDir
    Path dir;

    private static String problem(String url, String user, String password, int pool) {
        return new PostgresSettings(url, user, password, pool).problem();
    }

    @Test
    void urlsUsersWeakPasswordsAndPoolSizesAreCheckedBeforeAnyConnection() {
        String url = "jdbc:postgresql://db.example:5432/besip";
        assertNull(problem(url, "besip", "fleet-Store-7q2", 3));
        assertNull(problem("jdbc:postgresql://[::1]/besip?sslmode=require", "besip", "fleet-Store-7q2", 1));
        assertTrue(problem("jdbc:mysql://db/besip", "besip", "fleet-Store-7q2", 3).startsWith("the PostgreSQL URL must be"));
        assertTrue(problem("jdbc:postgresql://db/besip;socketFactory=x", "besip", "fleet-Store-7q2", 3).startsWith("the PostgreSQL URL must be"));
        assertEquals("a PostgreSQL user is needed", problem(url, " ", "fleet-Store-7q2", 3));
        assertEquals("the PostgreSQL password must be at least 10 characters", problem(url, "besip", "short", 3));
        assertTrue(problem(url, "besip", "1234567890", 3).contains("too weak"));
        assertTrue(problem(url, "besipfleet1", "besipfleet1", 3).contains("too weak"));
        assertEquals("the pool size must be 1 to 16 connections", problem(url, "besip", "fleet-Store-7q2", 17));
        assertTrue(!new PostgresSettings(url, "besip", "fleet-Store-7q2", 3).toString().contains("fleet-Store"), "never the password");
    }

    @Test
    void settingsComeFromConfigAdminOnlyForThePostgresqlBackend() {
        assertNull(PostgresSettings.from(null));
        assertNull(PostgresSettings.from(Map.of("backend", "sqlite")));
        PostgresSettings s = PostgresSettings.from(Map.of("backend", "postgresql", "url", "jdbc:postgresql://db/besip", "user", "u",
                "password", "p", "pool-size", "5"));
        assertEquals(new PostgresSettings("jdbc:postgresql://db/besip", "u", "p", 5), s);
        assertEquals(PostgresSettings.DEFAULT_POOL, PostgresSettings.from(Map.of("backend", "postgresql")).poolSize());
        assertEquals(-1, PostgresSettings.from(Map.of("backend", "postgresql", "pool-size", "many")).poolSize());
    }

    @Test
    void aModulesSchemaIsItsNameAndTheBoxKeepsItsId() throws Exception {
        assertEquals("call_recorder", PostgresDataStores.schema("call-recorder"));
        String id = DataStoresComponent.boxId(dir);
        assertTrue(id.matches("[0-9a-f]{16}"), id);
        assertEquals(id, DataStoresComponent.boxId(dir), "the same id at the next boot");
        assertEquals(id + "\n", Files.readString(dir.resolve("box-id")));
        Files.writeString(dir.resolve("box-id"), "not an id");
        assertTrue(!DataStoresComponent.boxId(dir).equals(id), "a damaged id file gets a new id");
    }

    @Test
    void aBackendTheBoxDoesNotKnowIsRefusedAndSqliteNeedsNoCheck() {
        DataStoresComponent c = new DataStoresComponent();
        assertNull(c.check(Map.of("backend", "sqlite")));
        assertEquals("unknown storage backend 'oracle': sqlite or postgresql", c.check(Map.of("backend", "oracle")));
        assertTrue(c.check(Map.of("backend", "postgresql", "url", "jdbc:postgresql://127.0.0.1:1/besip", "user", "besip",
                "password", "fleet-Store-7q2")).startsWith("cannot use PostgreSQL at jdbc:postgresql://127.0.0.1:1/besip as besip: "));
    }
}
