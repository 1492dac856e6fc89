package org.besip.core.internal.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConnection;
import org.sqlite.SQLiteDataSource;

/** The reuse of SQLite connections: the same connection again, nothing of its last caller's carried over, a bound on those kept. */
class PooledDataSourceTest {

    @TempDir
    Path dir;

    private PooledDataSource pool() throws SQLException {
        SQLiteDataSource ds = new SQLiteDataSource();
        ds.setUrl("jdbc:sqlite:" + dir.resolve("t.db"));
        PooledDataSource p = new PooledDataSource(ds);
        try (Connection c = p.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS t (v INTEGER)");
        }
        return p;
    }

    private static int rows(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT count(*) FROM t")) {
            return r.getInt(1);
        }
    }

    @Test
    void aClosedConnectionIsHandedOutAgainWithNothingOfItsLastCaller() throws Exception {
        PooledDataSource p = pool();
        SQLiteConnection first;
        try (Connection c = p.getConnection()) {
            first = c.unwrap(SQLiteConnection.class);
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("INSERT INTO t VALUES (1)");
            }
            // closed without a commit
        }
        try (Connection c = p.getConnection()) {
            assertSame(first, c.unwrap(SQLiteConnection.class), "the same connection, not a new one");
            assertTrue(c.getAutoCommit(), "auto-commit is on again");
            assertEquals(0, rows(c), "the transaction its last caller left open was rolled back");
        }
    }

    @Test
    void aClosedHandleRefusesAndAtMostTwoWait() throws Exception {
        PooledDataSource p = pool();
        Connection a = p.getConnection();
        Connection b = p.getConnection();
        Connection c = p.getConnection();
        SQLiteConnection realC = c.unwrap(SQLiteConnection.class);
        a.close();
        b.close();
        c.close(); // a third one waiting would be one too many: closed for real
        assertTrue(realC.isClosed());
        assertTrue(a.isClosed());
        assertThrows(SQLException.class, a::createStatement, "a handle closed once stays closed, even while its connection is reused");
        a.close(); // closing twice gives it back only once
        Connection d = p.getConnection();
        Connection e = p.getConnection();
        assertNotSame(d.unwrap(SQLiteConnection.class), e.unwrap(SQLiteConnection.class), "two callers never share one connection");
        d.close();
        e.close();
        p.closeIdle();
        assertTrue(d.unwrap(SQLiteConnection.class).isClosed());
    }

    @Test
    void aBoundedPoolSaysItIsBusyRatherThanOpeningMoreAndRunsItsInitOnEachNewConnection() throws Exception {
        SQLiteDataSource ds = new SQLiteDataSource();
        ds.setUrl("jdbc:sqlite:" + dir.resolve("b.db"));
        java.util.concurrent.atomic.AtomicInteger made = new java.util.concurrent.atomic.AtomicInteger();
        PooledDataSource p = new PooledDataSource(ds, 2, c -> made.incrementAndGet());
        Connection one = p.getConnection();
        Connection two = p.getConnection();
        assertEquals(2, made.get(), "each new connection was prepared");
        long t0 = System.nanoTime();
        SQLException busy = assertThrows(SQLException.class, p::getConnection);
        assertTrue(busy.getMessage().contains("all 2 of its connections are in use"), busy.getMessage());
        assertTrue(System.nanoTime() - t0 >= java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(PooledDataSource.WAIT_MS) / 2,
                "it waited for one first");
        one.close();
        try (Connection again = p.getConnection()) {
            assertEquals(2, made.get(), "the connection given back was reused, not a new one made");
        }
        two.close();
        PooledDataSource failing = new PooledDataSource(ds, 1, c -> {
            throw new SQLException("no schema");
        });
        assertThrows(SQLException.class, failing::getConnection);
        assertEquals("no schema", assertThrows(SQLException.class, failing::getConnection).getMessage(),
                "a connection whose init failed gave its place back");
    }
}
