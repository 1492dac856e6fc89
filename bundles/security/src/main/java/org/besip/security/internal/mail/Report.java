package org.besip.security.internal.mail;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

import org.besip.security.internal.block.Blocklist;
import org.besip.security.internal.block.SecurityStore;

/**
 * The security module's e-mail report, as text: the alerts since the last report (at most
 * {@link #MAX_ALERTS}, "+" when there were more) and the blocks in force. Pure.
 */
public final class Report {

    public static final int MAX_ALERTS = 500;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    private Report() {
    }

    public static String subject(List<SecurityStore.Alert> alerts, List<Blocklist.Block> active) {
        return "besip security: " + alerts.size() + " alerts, " + active.size() + " blocks in force";
    }

    public static String body(long sinceMs, long nowMs, List<SecurityStore.Alert> alerts, List<Blocklist.Block> active) {
        StringBuilder body = new StringBuilder();
        body.append("besip security report, ").append(time(sinceMs)).append(" to ").append(time(nowMs)).append("\n\n");
        body.append(alerts.size()).append(alerts.size() >= MAX_ALERTS ? "+" : "").append(" alerts:\n");
        for (SecurityStore.Alert a : alerts) {
            body.append(time(a.atMs())).append("  [1:").append(a.sid()).append("] ").append(a.msg()).append("  ").append(a.source())
                    .append(a.destination().isEmpty() ? "" : " -> " + a.destination()).append("  ").append(a.action()).append('\n');
        }
        body.append("\n").append(active.size()).append(" blocks in force:\n");
        for (Blocklist.Block b : active) {
            body.append(b.address().getHostAddress()).append("  ").append(b.untilMs() == 0 ? "until unblocked" : "until " + time(b.untilMs()))
                    .append("  ").append(b.reason()).append('\n');
        }
        return body.toString();
    }

    private static String time(long ms) {
        return TIME.format(Instant.ofEpochMilli(ms));
    }
}
