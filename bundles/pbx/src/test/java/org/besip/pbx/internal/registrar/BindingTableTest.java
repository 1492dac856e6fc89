package org.besip.pbx.internal.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

class BindingTableTest {

    @TempDir
    Path dir;

    @Test
    void bindingsOutliveTheLocationServiceThatMadeThem() throws Exception {
        SQLiteDataSource ds = new SQLiteDataSource();
        ds.setUrl("jdbc:sqlite:" + dir.resolve("pbx.db"));
        BindingTable table = new BindingTable(ds);
        LocationService before = new LocationService();
        before.listener(table);
        before.put(new Binding("alice", "sip:alice@127.0.0.2", 100_000, "c1", 1, "ua", "127.0.0.2:5060"), 0);
        before.put(new Binding("alice", "sip:alice@127.0.0.3", 50_000, "c2", 1, "ua", "127.0.0.3:5060"), 0);
        before.put(new Binding("bob", "sip:bob@127.0.0.4", 100_000, "c3", 1, "ua", "127.0.0.4:5060"), 0);
        before.remove("bob", "sip:bob@127.0.0.4");
        table.close();

        BindingTable reopened = new BindingTable(ds);
        List<Binding> loaded = reopened.load(60_000);
        assertEquals(1, loaded.size(), "bob removed, alice's second expired by now");
        assertEquals("sip:alice@127.0.0.2", loaded.get(0).contact());
        assertEquals("127.0.0.2:5060", loaded.get(0).source());
        reopened.close();
    }
}
