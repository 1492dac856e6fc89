package org.besip.pbx.internal.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.besip.core.api.storage.Dialect;

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

    @Test
    void boxesSharingATableSeeEachOthersBindingsAndRemoveOnlyTheirOwn() throws Exception {
        SQLiteDataSource ds = new SQLiteDataSource();
        ds.setUrl("jdbc:sqlite:" + dir.resolve("shared.db"));
        BindingTable a = new BindingTable(ds, Dialect.SQLITE, "box-a");
        BindingTable b = new BindingTable(ds, Dialect.SQLITE, "box-b");
        LocationService atA = new LocationService();
        atA.listener(a);
        LocationService atB = new LocationService();
        atB.listener(b);
        atA.put(new Binding("alice", "sip:alice@127.0.0.2", 100_000, "c1", 1, "ua", "127.0.0.2:5060"), 0);
        atB.put(new Binding("bob", "sip:bob@127.0.0.4", 100_000, "c3", 1, "ua", "127.0.0.4:5060"), 0);
        a.close();
        b.close();
        a = new BindingTable(ds, Dialect.SQLITE, "box-a");
        b = new BindingTable(ds, Dialect.SQLITE, "box-b");

        assertEquals(List.of("alice"), a.load(1_000).stream().map(Binding::aor).toList(), "a box restores only what it registered");
        Map<String, List<Binding>> seenByB = b.others(1_000);
        assertEquals(List.of("alice"), List.copyOf(seenByB.keySet()), "box B sees A's binding, not its own");
        atB.fleet(seenByB);
        assertEquals("sip:alice@127.0.0.2", atB.lookup("alice", 1_000).get(0).contact(), "and rings it");
        assertTrue(atB.local("alice", 1_000).isEmpty(), "though it is not B's own (its REGISTER answers list only B's)");
        assertTrue(atB.lookup("alice", 100_000).isEmpty(), "an expired fleet binding is not rung");

        // bob's phone moves to box A; box B's old binding of it expires there, and B's removal leaves A's row alone
        atA.listener(a);
        atA.put(new Binding("bob", "sip:bob@127.0.0.4", 200_000, "c4", 2, "ua", "127.0.0.4:5060"), 1_000);
        atB.listener(b);
        atB.remove("bob", "sip:bob@127.0.0.4");
        a.close();
        b.close();
        BindingTable again = new BindingTable(ds, Dialect.SQLITE, "box-b");
        List<Binding> bob = again.others(2_000).get("bob");
        assertEquals(1, bob.size(), "A's binding of bob is still there:\n" + again.others(2_000));
        assertEquals(200_000, bob.get(0).expiresAtMs());
        again.close();
    }
}
