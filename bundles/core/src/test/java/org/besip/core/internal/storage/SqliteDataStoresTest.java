package org.besip.core.internal.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteDataStoresTest {

    @TempDir
    Path dir;

    @Test
    void eachModuleGetsItsOwnFileInWalModeCreatedOnFirstUse() throws Exception {
        SqliteDataStores stores = new SqliteDataStores(dir);
        var pbx = stores.dataSource("pbx");
        assertSame(pbx, stores.dataSource("pbx"));
        assertTrue(!stores.exists("pbx"), "a data source alone creates no file");
        try (Connection c = pbx.getConnection(); var st = c.createStatement()) {
            st.execute("create table cdr (id integer primary key, callid text)");
            st.execute("insert into cdr (callid) values ('a@b')");
            try (ResultSet rs = st.executeQuery("pragma journal_mode")) {
                rs.next();
                assertEquals("wal", rs.getString(1));
            }
        }
        assertTrue(Files.exists(dir.resolve("pbx.db")));
        assertTrue(stores.exists("pbx"));
        assertTrue(!stores.exists("no such module!"));
        try (Connection c = stores.dataSource("security").getConnection(); var st = c.createStatement();
                ResultSet rs = st.executeQuery("select count(*) from sqlite_master where name = 'cdr'")) {
            rs.next();
            assertEquals(0, rs.getInt(1), "another module's store does not see pbx's tables");
        }
    }

    @Test
    void moduleNamesThatAreNotPlainNamesAreRefused() {
        SqliteDataStores stores = new SqliteDataStores(dir);
        for (String bad : new String[] { "../etc", "PBX", "", "a/b", "x".repeat(33) }) {
            assertThrows(IllegalArgumentException.class, () -> stores.dataSource(bad), bad);
        }
        assertThrows(IllegalArgumentException.class, () -> stores.dataSource(null));
    }

    @Test
    void aFolderOfFilesSitsBesideTheDatabasesAndOnlyPlainNamesGetOne() throws Exception {
        SqliteDataStores stores = new SqliteDataStores(dir.resolve("db"));
        java.nio.file.Path rec = stores.directory("recordings");
        org.junit.jupiter.api.Assertions.assertEquals(dir.resolve("recordings").toAbsolutePath(), rec);
        org.junit.jupiter.api.Assertions.assertTrue(java.nio.file.Files.isDirectory(rec));
        for (String bad : new String[] { "../etc", "Rec", "", "a/b" }) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> stores.directory(bad), bad);
        }
    }
}
