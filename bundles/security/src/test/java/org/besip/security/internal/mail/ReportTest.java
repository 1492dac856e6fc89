package org.besip.security.internal.mail;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.util.List;

import org.besip.security.internal.block.Blocklist;
import org.besip.security.internal.block.SecurityStore;
import org.junit.jupiter.api.Test;

class ReportTest {

    @Test
    void theReportListsTheAlertsAndTheBlocksInForceInUtc() throws Exception {
        List<SecurityStore.Alert> alerts = List.of(new SecurityStore.Alert(1_764_633_600_000L, 1000001, "SIP REGISTER flood", "attempted-dos",
                "192.0.2.7", "127.0.0.1:5060", "block"), new SecurityStore.Alert(1_764_633_661_000L, 1000002, "scanner", "attempted-recon",
                        "192.0.2.8", "", "alert"));
        List<Blocklist.Block> blocks = List.of(new Blocklist.Block(InetAddress.getByName("192.0.2.7"), 1_764_633_600_000L,
                1_764_637_200_000L, "SIP REGISTER flood", 1000001), new Blocklist.Block(InetAddress.getByName("2001:db8::1"), 0, 0, "by hand", 0));
        assertEquals("besip security: 2 alerts, 2 blocks in force", Report.subject(alerts, blocks));
        assertEquals("besip security report, 2025-12-01 23:00:00 UTC to 2025-12-02 00:00:00 UTC\n\n"
                + "2 alerts:\n"
                + "2025-12-02 00:00:00 UTC  [1:1000001] SIP REGISTER flood  192.0.2.7 -> 127.0.0.1:5060  block\n"
                + "2025-12-02 00:01:01 UTC  [1:1000002] scanner  192.0.2.8  alert\n"
                + "\n2 blocks in force:\n"
                + "192.0.2.7  until 2025-12-02 01:00:00 UTC  SIP REGISTER flood\n"
                + "2001:db8:0:0:0:0:0:1  until unblocked  by hand\n",
                Report.body(1_764_630_000_000L, 1_764_633_600_000L, alerts, blocks));
    }
}
