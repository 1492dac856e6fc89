package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The box as a user that is not root and holds no capability ({@code setpriv} drops the uid,
 * the groups and every capability set, bounding set included): it boots, is configured over
 * NETCONF and carries a call; the feature that lacks its capability (capture needs CAP_NET_RAW)
 * says so once in the log, however often it is configured, and on its page.
 */
class NonRootIT {

    @Test
    void withoutRootOrCapabilitiesTheBoxCallsAndCaptureSaysOnceWhatItLacks() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "dropping to another user needs root (CI runs as root)");
        Path work = Files.createTempDirectory("besip-nonroot-"); // not JUnit's: its folder is root's alone (0700)
        try {
            Files.setPosixFilePermissions(work, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
            Path data = work.resolve("data");
            Files.createDirectories(data);
            run("chown", "nobody", data.toString());
            List<String> asNobody = List.of("setsid", "-w", "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                    "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--",
                    BesipOptions.dist().resolve("bin/besip").toString());
            try (BesipProcess box = BesipProcess.start(data, BesipOptions.freePort(), Map.of("HOME", data.toString()), asNobody)) {
                box.awaitOutput("besip: ready in ");
                assertEquals("nobody", Files.getOwner(data.resolve("logs/besip.log")).getName(), "the box runs as nobody");

                var enabled = box.post("action=enable&module=monitoring", null, null, Map.of());
                assertEquals(200, enabled.statusCode(), enabled.body());
                int zabbix = BesipOptions.freePort();
                NetconfIT.runOn(box, "configure_monitoring", "true", "lo", String.valueOf(zabbix));
                NetconfIT.runOn(box, "configure_monitoring", "true", "lo", String.valueOf(zabbix), "2"); // configured again
                MonitoringIT.awaitLog(box, "monitoring is running on [lo]");
                String said = "monitoring: capture on [lo] needs CAP_NET_RAW, which this box runs without";
                String log = Files.readString(data.resolve("logs/besip.log"));
                assertEquals(log.indexOf(said), log.lastIndexOf(said), "said once:\n" + log);
                assertTrue(log.contains(said), "the log says what capture lacks:\n" + log);
                String page = box.get("besip-quality", "admin", box.password()).body();
                assertTrue(page.contains("id='besip-quality-capture-problem'") && page.contains(said), "and the page says it:\n" + page);

                NetconfIT.pbxUsers(box, work, 3);
                MonitoringIT.awaitLog(box, "SIP over UDP on /127.0.0.1:" + box.sipPort());
                int phone;
                try (java.net.DatagramSocket free = new java.net.DatagramSocket(0)) {
                    phone = free.getLocalPort();
                }
                PbxIT.sipp(work, box, 1, "u1", phone);
                PbxIT.callUser0(work, box, phone, 1);
            }
        } finally {
            try (Stream<Path> all = Files.walk(work)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + ": " + out);
    }
}
