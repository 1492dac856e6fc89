package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PBX module in the running box: enabled on the Modules API, users configured over NETCONF,
 * sipp (Debian sip-tester) registers them with digest over UDP and TCP and calls a registered
 * phone through the proxy; the page, CDR export, dial plan, top-up, trunk registration, Zabbix
 * keys, and the bindings after a restart.
 */
class PbxIT {

    @TempDir
    Path work;

    /** sipp registers {@code calls} times over {@code transport} (u1: UDP, t1: one TCP connection); all must succeed. */
    private void sipp(BesipProcess box, int calls, String transport) throws Exception {
        sipp(work, box, calls, transport, 0);
    }

    private void sipp(BesipProcess box, int calls, String transport, int localPort) throws Exception {
        sipp(work, box, calls, transport, localPort);
    }

    /** {@code localPort}: where sipp sends from and so what the binding's Contact names (0: any). */
    static void sipp(Path work, BesipProcess box, int calls, String transport, int localPort) throws Exception {
        Path scenario = Path.of("../bundles/pbx/src/test/resources/sipp/register-auth.xml").toAbsolutePath();
        Process p = new ProcessBuilder("sipp", "-sf", scenario.toString(), "-inf", work.resolve("users.csv").toString(),
                "127.0.0.1:" + box.sipPort(), "-i", "127.0.0.1", "-p", String.valueOf(localPort), "-m", String.valueOf(calls), "-r", "20",
                "-nostdin", "-timeout", "30s", "-t", transport).directory(work.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), "every registration over " + transport + " succeeded:\n" + out);
    }

    @Test
    void usersConfiguredOverNetconfRegisterWithSippOverUdpAndTcpCallEachOtherAndTheirBindingsSurviveARestart() throws Exception {
        int phone;
        try (BesipProcess box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort())) {
            var r = box.post("action=enable&module=pbx", null, null, Map.of());
            assertEquals(200, r.statusCode(), r.body());
            NetconfIT.pbxUsers(box, work, 20);
            MonitoringIT.awaitLog(box, "SIP over UDP on /127.0.0.1:" + box.sipPort());
            String bound = "SIP over UDP on /127.0.0.1:" + box.sipPort();
            String log = Files.readString(box.data().resolve("logs/besip.log"));
            assertEquals(log.indexOf(bound), log.lastIndexOf(bound), "a commit that keeps the listen addresses keeps the sockets");
            sipp(box, 40, "u1");
            MonitoringIT.awaitLog(box, "SIP over TCP on /127.0.0.1:" + box.sipPort());
            sipp(box, 20, "t1");

            // a phone registers as user0 from a port, then answers calls there; another phone calls user0 via the box
            try (java.net.DatagramSocket free = new java.net.DatagramSocket(0)) {
                phone = free.getLocalPort();
            }
            sipp(box, 1, "u1", phone);
            callUser0(box, phone, 5);

            // the PBX page: registrations and CDRs, the CDRs as CSV, a clear 400 for a bad range
            var page = box.get("besip-pbx", "admin", box.password());
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("Registrations (21)") && page.body().contains(":" + phone), page.body());
            var cdrs = box.get("besip-pbx.csv", "admin", box.password());
            assertEquals(200, cdrs.statusCode(), cdrs.body());
            String[] rows = cdrs.body().split("\r\n");
            assertEquals(6, rows.length, cdrs.body());
            for (int i = 1; i < rows.length; i++) {
                assertTrue(rows[i].contains(",sip:user0@127.0.0.1:" + box.sipPort() + ",") && rows[i].contains(",answered,caller,"), rows[i]);
            }
            assertEquals(400, box.get("besip-pbx.csv?from=yesterday", "admin", box.password()).statusCode());
            assertEquals(401, box.get("besip-pbx.csv", null, null).statusCode(), "CDRs only behind the admin credentials");
            // and the same CDRs over NETCONF (ncclient), with a clear rpc-error for a bad date-time
            NetconfIT.runOn(box, "export_cdrs", "5", ",answered,caller,");
            NetconfIT.runOn(box, "pbx_dial_plan");
            NetconfIT.runOn(box, "pbx_weak_password");
            NetconfIT.runOn(box, "pbx_top_up", "user3", "12.5", "12.5000");
            NetconfIT.runOn(box, "pbx_top_up", "user3", "-2.25", "10.2500");
            var accounts = box.get("besip-pbx", "admin", box.password());
            assertTrue(accounts.body().contains("<td>user3</td><td class='credit'>10.2500</td>"), accounts.body());
            // a trunk with a provider account: the box registers with the provider (here: itself, as user7)
            NetconfIT.runOn(box, "pbx_trunk_registration", String.valueOf(box.sipPort()), "user7", "Sup3r-secret-pw");
            MonitoringIT.awaitLog(box, "trunk self: registered");
            assertTrue(box.get("besip-pbx", "admin", box.password()).body().contains(">self</a></td><td class='state'>registered</td>"));

            // the PBX's figures reach Zabbix through the monitoring module's agent (core MetricSource contract)
            int zabbixPort = BesipOptions.freePort();
            assertEquals(200, box.post("action=enable&module=monitoring", null, null, Map.of()).statusCode());
            NetconfIT.runOn(box, "configure_monitoring", "true", "lo", String.valueOf(zabbixPort));
            MonitoringIT.awaitLog(box, "monitoring is running on [lo]");
            assertEquals("22", MonitoringIT.zabbixGet(zabbixPort, "besip.pbx.registrations"));
            assertEquals("0", MonitoringIT.zabbixGet(zabbixPort, "besip.pbx.calls.active"));
            assertEquals("0", MonitoringIT.zabbixGet(zabbixPort, "besip.security.blocks.active"),
                    "the security module (on by default) answers its key");
            MonitoringIT.awaitLog(box, "SIP proxy as 127.0.0.1:" + box.sipPort() + " with 1 dial-plan routes");
        }
        try (BesipProcess again = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort())) {
            MonitoringIT.awaitLog(again, "SIP over UDP on /127.0.0.1:" + again.sipPort());
            // nobody registers again: the phone is reached through the binding the box kept across the restart
            callUser0(again, phone, 1);
        }
    }

    /**
     * A phone (sipp uas) that registered as user0 from {@code phone} answers {@code calls} calls
     * that another phone (sipp uac) places to user0 through the box.
     */
    private void callUser0(BesipProcess box, int phone, int calls) throws Exception {
        callUser0(work, box, phone, calls);
    }

    static void callUser0(Path work, BesipProcess box, int phone, int calls) throws Exception {
        // the phone copies the Record-Route into its answers (RFC 3261 §12.1.1; sipp's built-in uas does not)
        Path answering = Path.of("../bundles/pbx/src/test/resources/sipp/uas-record-route.xml").toAbsolutePath();
        Process callee = new ProcessBuilder("sipp", "-sf", answering.toString(), "-i", "127.0.0.1", "-p", String.valueOf(phone), "-m", String.valueOf(calls),
                "-nostdin", "-timeout", "60s").directory(work.toFile()).redirectErrorStream(true).start();
        try {
            BesipProcess.awaitUdpListener(phone);
            // the caller on a port of its own: the box rings every contact of user0 (parallel forking), and
            // the earlier sipp runs registered user0 from sipp's default port 5060 too
            // user1 calls, answering the box's 407 with its credentials (a caller must prove it is a local user)
            Files.writeString(work.resolve("caller.csv"), "SEQUENTIAL\nuser1;[authentication username=user1 password=Sup3r-secret-pw]\n");
            Path authenticating = Path.of("../bundles/pbx/src/test/resources/sipp/uac-proxy-auth.xml").toAbsolutePath();
            Process caller = new ProcessBuilder("sipp", "-sf", authenticating.toString(), "-inf", work.resolve("caller.csv").toString(), "-s",
                    "user0", "127.0.0.1:" + box.sipPort(), "-i", "127.0.0.1", "-p", String.valueOf(BesipProcess.freeUdpAndTcpPort()), "-m",
                    String.valueOf(calls), "-r", "5", "-nostdin", "-timeout", "30s", "-recv_timeout", "5000").directory(work.toFile())
                    .redirectErrorStream(true).start();
            String out = new String(caller.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(caller.waitFor(60, TimeUnit.SECONDS), out);
            assertEquals(0, caller.exitValue(), "every call to the registered phone completed:\n" + out);
            assertTrue(callee.waitFor(30, TimeUnit.SECONDS));
            assertEquals(0, callee.exitValue(), "the registered phone answered every call");
        } finally {
            callee.destroyForcibly();
        }
    }
}
