package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two boxes sharing one PostgreSQL (design §6), as a fleet runs: the test starts its own server
 * ({@link Postgres}), boots two boxes on their embedded SQLite, and moves both to the database
 * over NETCONF. Settings the box cannot use are refused at validation; then a phone registers on
 * box A and is called through box B, and the calls through either box land in one CDR table.
 */
class FleetStoreIT {

    @TempDir
    Path work;

    @Test
    void twoBoxesOnOnePostgresqlShareTheLocationServiceAndTheCdrTable() throws Exception {
        try (Postgres pg = Postgres.start();
                BesipProcess a = BesipProcess.boot(work.resolve("a"), BesipOptions.freePort());
                BesipProcess b = BesipProcess.boot(work.resolve("b"), BesipOptions.freePort())) {
            NetconfIT.runOn(a, "storage_refused", pg.url(), Postgres.USER, "not-the-password-9", "cannot use PostgreSQL at " + pg.url());
            NetconfIT.runOn(a, "storage_refused", pg.url(), Postgres.USER, "1234567890", "too weak");
            NetconfIT.runOn(a, "storage_refused", "jdbc:postgresql://127.0.0.1:1/besip", Postgres.USER, Postgres.PASSWORD,
                    "cannot use PostgreSQL");

            String idA = Files.readString(a.data().resolve("box-id")).trim();
            String idB = Files.readString(b.data().resolve("box-id")).trim();
            assertTrue(!idA.equals(idB), "each box made an id of its own");
            for (BesipProcess box : new BesipProcess[] { a, b }) {
                NetconfIT.runOn(box, "configure_storage", pg.url(), Postgres.USER, Postgres.PASSWORD);
            }
            // the pbx of each box started again on the database: its connections carry the box's id
            for (String id : new String[] { idA, idB }) {
                awaitSql(pg, "select count(*) from pg_stat_activity where application_name = 'besip " + id + " pbx'", n -> !"0".equals(n));
            }
            assertEquals("binding\ncdr", pg.sql("select string_agg(table_name, E'\\n' order by table_name) from information_schema.tables"
                    + " where table_schema = 'pbx' and table_name in ('binding', 'cdr')"), "the pbx made its tables in its schema");

            NetconfIT.pbxUsers(a, work, 3);
            NetconfIT.pbxUsers(b, work, 3);
            int phone;
            try (java.net.DatagramSocket free = new java.net.DatagramSocket(0)) {
                phone = free.getLocalPort();
            }
            PbxIT.sipp(work, a, 1, "u1", phone); // user0 registers on box A only
            awaitSql(pg, "select string_agg(box, ',') from pbx.binding where aor = 'user0'", idA::equals);
            assertTrue(b.get("besip-pbx", "admin", b.password()).body().contains("id='besip-pbx-registrations'"),
                    "box B's page has its registrations");
            awaitPage(b, "id='besip-pbx-fleet'", "user0");

            PbxIT.callUser0(work, b, phone, 2); // user1 calls user0 through box B, which rings the phone registered on A
            PbxIT.callUser0(work, a, phone, 1); // and once through A

            awaitSql(pg, "select count(*) from pbx.cdr where end_ms is not null", "3"::equals);
            assertEquals(idA + "|1\n" + idB + "|2", pg.sql("select box, count(*) from pbx.cdr group by box order by box = '" + idB + "'"),
                    "one CDR table: each row says which box carried the call");
            String csv = a.get("besip-pbx.csv", "admin", a.password()).body();
            assertEquals(4, csv.split("\r\n").length, "box A's export holds the calls through B too:\n" + csv);
        }
    }

    private static void awaitSql(Postgres pg, String query, Predicate<String> until) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        String last = null;
        while (System.currentTimeMillis() < deadline) {
            last = pg.sql(query);
            if (until.test(last)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(query + " still gives '" + last + "'\n" + pg.serverLog());
    }

    private static void awaitPage(BesipProcess box, String... texts) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        String body = "";
        while (System.currentTimeMillis() < deadline) {
            body = box.get("besip-pbx", "admin", box.password()).body();
            String page = body;
            if (java.util.Arrays.stream(texts).allMatch(page::contains)) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("the pbx page never showed " + String.join(", ", texts) + ":\n" + body);
    }
}
