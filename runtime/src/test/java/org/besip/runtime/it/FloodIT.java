package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;

import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.io.TempDir;

/**
 * BESIP's experiment, as an interop test: with the PBX and the security module running (on by
 * default, the shipped rules, BESIP's REGISTER-flood rule as written), sipp from 127.0.0.2 floods
 * REGISTER while sipp from 127.0.0.3 registers a user at a low rate. The flooder is blocked within
 * a second of crossing the rule's threshold (its own message log says when it last got an answer),
 * every legitimate registration succeeds, the block shows on NETCONF and the Security page, and a
 * block lifts after its duration.
 */
class FloodIT {

    @TempDir
    Path work;

    static final Path SCENARIO = Path.of("../bundles/pbx/src/test/resources/sipp/register-auth.xml").toAbsolutePath();
    static final DateTimeFormatter SIPP_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS");

    Process sipp(BesipProcess box, String from, int calls, int rate, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("sipp", "-sf", SCENARIO.toString(), "-inf", work.resolve("users.csv").toString(),
                "127.0.0.1:" + box.sipPort(), "-i", from, "-p", "0", "-m", String.valueOf(calls), "-r", String.valueOf(rate), "-nostdin"));
        cmd.addAll(List.of(extra));
        return new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true).start();
    }

    static String finish(Process p, int seconds) throws Exception {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), out);
        return out;
    }

    /** A sipp message log entry: when, and whether it was sent or received. */
    record Logged(LocalDateTime at, boolean sent, String firstLine) {
    }

    static List<Logged> messages(Path log) throws Exception {
        Matcher m = Pattern.compile("-{20,} (\\d{4}-\\d\\d-\\d\\d\\s\\d\\d:\\d\\d:\\d\\d\\.\\d{6})\\R(UDP message (sent|received)[^\\n]*)\\R\\R([^\\r\\n]*)")
                .matcher(Files.readString(log, StandardCharsets.ISO_8859_1));
        List<Logged> out = new ArrayList<>();
        while (m.find()) {
            out.add(new Logged(LocalDateTime.parse(m.group(1).replace('\t', ' '), SIPP_TIME), m.group(3).equals("sent"), m.group(4)));
        }
        return out;
    }

    @Test
    void anOfficeOfPhonesBehindOneAddressRefreshingWithCredentialsIsNoFlood() throws Exception {
        try (BesipProcess box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort())) {
            NetconfIT.pbxUsers(box, work, 20);
            MonitoringIT.awaitLog(box, "SIP over UDP on /127.0.0.1:" + box.sipPort());
            // 40 registrations at 20 a second from one address: 80 REGISTERs in 2 s, past BESIP's rule (50 in 5 s); the
            // 40 that carry credentials come from an address with live bindings and are counted apart
            Process office = sipp(box, "127.0.0.5", 40, 20, "-timeout", "30s", "-recv_timeout", "5000");
            String out = finish(office, 60);
            assertEquals(0, office.exitValue(), "every registration from the office succeeded:\n" + out);
            NetconfIT.runOn(box, "security_blocks", "127.0.0.5", "-", "-");
        }
    }

    @Test
    void theFloodingSourceIsBlockedWithinASecondWhileALegitimateUserKeepsRegistering() throws Exception {
        try (BesipProcess box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort())) {
            assertEquals(200, box.post("action=enable&module=pbx", null, null, Map.of()).statusCode());
            Path users = NetconfIT.pbxUsers(box, work, 20);
            MonitoringIT.awaitLog(box, "SIP over UDP on /127.0.0.1:" + box.sipPort());
            MonitoringIT.awaitLog(box, "security: 9 rules");

            // the legitimate phone: 2 registrations a second (4 REGISTERs: under the rule's 50 in 5 s) for 20 s
            Process legit = sipp(box, "127.0.0.3", 40, 2, "-timeout", "60s");
            Thread.sleep(2000);
            // the attacker: 200 registrations a second (400 REGISTERs), each answered 401, then blocked
            Path floodLog = work.resolve("flood.log");
            Process flood = sipp(box, "127.0.0.2", 1000, 200, "-timeout", "8s", "-recv_timeout", "2000", "-trace_msg", "-message_file",
                    floodLog.toString());
            finish(flood, 30);

            List<Logged> log = messages(floodLog);
            List<Logged> sent = log.stream().filter(l -> l.sent() && l.firstLine().startsWith("REGISTER")).toList();
            List<Logged> received = log.stream().filter(l -> !l.sent()).toList();
            assertTrue(sent.size() > 500, "the flood was a flood: " + sent.size() + " REGISTERs");
            assertTrue(received.size() >= 25, "the box answered the flood before the block: " + received.size());
            LocalDateTime crossing = sent.get(50).at(); // the 51st REGISTER in 5 s fires sid 1000001
            LocalDateTime lastAnswer = received.get(received.size() - 1).at();
            long timeToBlockMs = ChronoUnit.MILLIS.between(crossing, lastAnswer);
            System.out.printf("flood: %d REGISTERs sent, %d answers, the last %d ms after the 51st REGISTER%n", sent.size(),
                    received.size(), timeToBlockMs);
            assertTrue(timeToBlockMs <= 1000, "blocked within 1 s of crossing the threshold, not " + timeToBlockMs + " ms");
            assertTrue(received.size() < 110, "nothing answered after the block: " + received.size() + " answers");

            String legitOut = finish(legit, 60);
            assertEquals(0, legit.exitValue(), "every legitimate registration succeeded during the flood:\n" + legitOut);

            // the block is there on every interface: NETCONF, the log, the Security page
            NetconfIT.runOn(box, "security_blocks", "127.0.0.2", "560", "600");
            NetconfIT.runOn(box, "security_blocks", "127.0.0.3", "-", "-");
            MonitoringIT.awaitLog(box, "ALERT [1:1000001:1] SIP DoS attempt(registerflood) [Classification: misc-attack] 127.0.0.2 -> ");
            MonitoringIT.awaitLog(box, "BLOCKED 127.0.0.2 for 600 s (SIP DoS attempt(registerflood), sid 1000001)");
            if (Files.isExecutable(Path.of("/usr/sbin/nft")) && "root".equals(System.getProperty("user.name"))) {
                // firewall auto: nft is looked for at the first block, and this box may use it
                MonitoringIT.awaitLog(box, "BLOCKED 127.0.0.2 for 600 s (SIP DoS attempt(registerflood), sid 1000001) via the application and nftables");
            }
            var page = box.get("besip-security", "admin", box.password());
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("<td class='address'>127.0.0.2</td>"), page.body());
            assertTrue(page.body().contains("SIP DoS attempt(registerflood)"), page.body());

            // the block lifts after its duration: the same rule with a 3 s fwsam, a flood from 127.0.0.4
            NetconfIT.runOn(box, "security_rule", "1000001", "alert udp $EXTERNAL_NET any -> $SIP_PROXY $SIP_PORT (msg:\"SIP DoS "
                    + "attempt(registerflood)\"; content:\"REGISTER sip\"; detection_filter:track by_src, count 50, seconds 5; "
                    + "classtype:misc-attack; sid:1000001; rev:2; fwsam:src, 3sec;)");
            MonitoringIT.awaitLog(box, "security: 9 rules active");
            finish(sipp(box, "127.0.0.4", 60, 100, "-timeout", "5s", "-recv_timeout", "1000"), 30);
            NetconfIT.runOn(box, "security_blocks", "127.0.0.4", "1", "3");
            MonitoringIT.awaitLog(box, "UNBLOCKED 127.0.0.4 (expired)");
            Process after = sipp(box, "127.0.0.4", 1, 1, "-timeout", "10s");
            String afterOut = finish(after, 30);
            assertEquals(0, after.exitValue(), "registered again once the 3 s block lifted:\n" + afterOut);

            NetconfIT.runOn(box, "security_unblock", "127.0.0.2");
            NetconfIT.runOn(box, "security_notification", "198.51.100.9");

            // the operator's own rule file: the good rule loads, the bad one is named with file, line and column
            Path rules = box.data().resolve("security/rules");
            Files.createDirectories(rules);
            Files.writeString(rules.resolve("local.rules"), "# local rules\n"
                    + "alert udp any any -> any any (msg:\"INVITE to 0900\"; content:\"INVITE sip:0900\"; sid:2000001; rev:1;)\n"
                    + "alert udp any any -> any any (msg:\"broken\"; content:\"x\"; bogus; sid:2000002;)\n");
            NetconfIT.runOn(box, "security_reload", "10", "local.rules:3:58: unknown or unsupported option bogus");
            assertTrue(box.get("besip-security", "admin", box.password()).body().contains("INVITE to 0900"));

            // soft faults: a phone from 127.0.0.5 with a wrong password fails 10 times in a minute and is blocked
            Files.writeString(users, Files.readString(users).replace("password=" + NetconfIT.USER_PASSWORD, "password=wrong"));
            finish(sipp(box, "127.0.0.5", 12, 4, "-timeout", "15s", "-recv_timeout", "2000"), 30);
            NetconfIT.runOn(box, "security_blocks", "127.0.0.5", "500", "600");
            MonitoringIT.awaitLog(box, "BLOCKED 127.0.0.5 for 600 s (soft faults: 10 SIP authentication failures in 60 s, sid 0)");
            NetconfIT.runOn(box, "netconf_soft_faults", "127.0.0.6", "10");
            MonitoringIT.awaitLog(box, "BLOCKED 127.0.0.6 for 600 s (soft faults: 10 NETCONF authentication failures in 60 s, sid 0)");
            NetconfIT.runOn(box, "security_unblock", "127.0.0.6"); // in the kernel too: the NETCONF port was closed to it

            // and the Web Console's: 10 wrong passwords from 127.0.0.7 block it; the right one is then refused
            for (int n = 0; n < 10; n++) {
                assertEquals("401", consoleStatus(box, "127.0.0.7", "wrong-" + n), "wrong password " + n);
            }
            MonitoringIT.awaitLog(box, "BLOCKED 127.0.0.7 for 600 s (soft faults: 10 Web Console authentication failures in 60 s, sid 0)");
            NetconfIT.runOn(box, "security_blocks", "127.0.0.7", "500", "600");
            if (Files.isExecutable(Path.of("/usr/sbin/nft")) && "root".equals(System.getProperty("user.name"))) {
                assertEquals("no answer", consoleStatus(box, "127.0.0.7", box.password()),
                        "the blocked source no longer reaches the console, the right password included");
            }
            assertEquals("200", consoleStatus(box, "127.0.0.8", box.password()), "another source still logs in");
            NetconfIT.runOn(box, "security_unblock", "127.0.0.7");

            // the e-mail report to the administrator, received by a real SMTP server (GreenMail)
            int smtp = BesipOptions.freePort();
            GreenMail mail = new GreenMail(new ServerSetup(smtp, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
            mail.start();
            try {
                NetconfIT.runOn(box, "security_email", String.valueOf(smtp), "admin@example.com");
                assertTrue(mail.waitForIncomingEmail(10_000, 1));
                MimeMessage report = mail.getReceivedMessages()[0];
                assertTrue(report.getSubject().startsWith("besip security: "), report.getSubject());
                String body = GreenMailUtil.getBody(report);
                assertTrue(body.contains("[1:1000001] SIP DoS attempt(registerflood)  127.0.0.2 -> 127.0.0.1:" + box.sipPort()), body);
                assertTrue(body.contains("127.0.0.5  until "), body);
            } finally {
                mail.stop();
            }
        }
    }

    /**
     * The status of a GET of the console's bundles page from {@code from} as admin with
     * {@code password}, or "no answer" when the connection is refused or nothing comes back in 3 s.
     */
    static String consoleStatus(BesipProcess box, String from, String password) throws Exception {
        try (java.net.Socket s = new java.net.Socket()) {
            s.bind(new java.net.InetSocketAddress(from, 0));
            s.connect(new java.net.InetSocketAddress("127.0.0.1", box.port()), 3000);
            s.setSoTimeout(3000);
            String auth = java.util.Base64.getEncoder().encodeToString(("admin:" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            s.getOutputStream().write(("GET /system/console/bundles HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic " + auth
                    + "\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String status = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII))
                    .readLine();
            return status == null ? "no answer" : status.split(" ")[1];
        } catch (java.net.SocketTimeoutException | java.net.ConnectException e) {
            return "no answer";
        }
    }
}
