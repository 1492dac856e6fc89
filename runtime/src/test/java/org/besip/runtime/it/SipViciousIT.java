package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attacker's own tools against the running box: Debian's SIPVicious (svwar, svcrack) from
 * 127.0.0.66, which is not whitelisted (svwar and svcrack ignore their -b, so
 * {@code svbind/sitecustomize.py} binds them there), while a legitimate phone (sipp from
 * 127.0.0.1) keeps registering. svwar finds no extension (the box answers a user that exists and
 * one that does not with the same 401), svcrack is blocked before its 20th password, and every
 * legitimate registration succeeds. A positive control from a whitelisted address shows svcrack
 * can crack the box's digest at all, so "found nothing" means the block, not a tool that cannot.
 */
class SipViciousIT {

    @TempDir
    Path work;

    static final Path SHIM = Path.of("src/test/python/svbind").toAbsolutePath();

    /** Runs a SIPVicious tool bound to {@code from}; stdout and stderr, at most {@code seconds}. */
    private String[] sipvicious(String from, int seconds, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("timeout", "--foreground", "-s", "INT", "-k", "5", String.valueOf(seconds)));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectOutput(work.resolve("sv.out").toFile())
                .redirectError(work.resolve("sv.err").toFile());
        pb.environment().put("PYTHONPATH", SHIM.toString());
        pb.environment().put("SV_BIND_IP", from);
        pb.environment().put("HOME", work.toString()); // its session files stay in the test's folder
        Process p = pb.start();
        assertTrue(p.waitFor(seconds + 15, TimeUnit.SECONDS), String.join(" ", args));
        return new String[] { Files.readString(work.resolve("sv.out")), Files.readString(work.resolve("sv.err")) };
    }

    private void dictionary(Path f, String password, int at) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= 30; i++) {
            sb.append(i == at ? password : "guess-" + i + "-pw").append('\n');
        }
        Files.writeString(f, sb);
    }

    @Test
    void svwarFindsNoExtensionSvcrackIsBlockedBeforeItsTwentiethPasswordAndThePhoneKeepsRegistering() throws Exception {
        try (BesipProcess box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort())) {
            NetconfIT.runOn(box, "configure_pbx_users", "3", "Sup3r-secret-pw");
            MonitoringIT.awaitLog(box, "SIP over UDP on /127.0.0.1:" + box.sipPort());
            String target = "udp://127.0.0.1:" + box.sipPort();

            // the positive control, from a whitelisted address: the right password 5th in the list is found
            dictionary(work.resolve("control.txt"), "Sup3r-secret-pw", 5);
            String[] control = null;
            for (int attempt = 0; attempt < 2; attempt++) { // svcrack sends one probe and never retransmits it: a lost datagram
                control = sipvicious("127.0.0.1", 40, "svcrack", "-u", "user2", "-d", work.resolve("control.txt").toString(), "-P",
                        String.valueOf(BesipOptions.freePort()), "--maximumtime", "2", target);
                if (!control[1].contains("no server response")) {
                    break;
                }
            }
            assertTrue(control[0].matches("(?s).*\\|\\s*user2\\s*\\|\\s*Sup3r-secret-pw\\s*\\|.*"), "svcrack can crack the box's digest (qop=auth):\n"
                    + control[0] + control[1]);

            // the legitimate phone: user0 registers twice a second over the whole attack
            Files.writeString(work.resolve("phone.csv"), "SEQUENTIAL\nuser0;[authentication username=user0 password=Sup3r-secret-pw]\n");
            Process phone = new ProcessBuilder("sipp", "-sf", Path.of("../bundles/pbx/src/test/resources/sipp/register-auth.xml").toAbsolutePath().toString(), "-inf", work.resolve("phone.csv").toString(),
                    "127.0.0.1:" + box.sipPort(), "-i", "127.0.0.1", "-p", String.valueOf(BesipProcess.freeUdpAndTcpPort()), "-m", "40",
                    "-r", "2", "-nostdin", "-timeout", "60s").directory(work.toFile()).redirectErrorStream(true)
                    .redirectOutput(work.resolve("phone.out").toFile()).start();

            // as shipped: the scanner rule (sid 1000010, SIPVicious's User-Agent) blocks 127.0.0.66 at its first request
            String[] war = sipvicious("127.0.0.66", 30, "svwar", "-e", "100-130", "-P", String.valueOf(BesipOptions.freePort()), target);
            assertFalse(war[0].matches("(?s).*\\|\\s*1[0-3]\\d\\s*\\|\\s*reqauth.*"), "svwar found an extension:\n" + war[0] + war[1]);
            MonitoringIT.awaitLog(box, "BLOCKED 127.0.0.66 for 3600 s (SIP scanner friendly-scanner (SIPVicious), sid 1000010)");

            // a scanner the rules do not know (the operator replaces sid 1000010): the box itself gives nothing away and blocks
            // the guessing; from 127.0.0.67
            NetconfIT.runOn(box, "security_rule", "1000010", "alert udp any any -> any any (msg:\"never\"; content:\"no-such-agent-xyz\"; "
                    + "sid:1000010; rev:2;)");
            war = sipvicious("127.0.0.67", 30, "svwar", "-e", "100-130", "-P", String.valueOf(BesipOptions.freePort()), target);
            assertFalse(war[0].matches("(?s).*\\|\\s*1[0-3]\\d\\s*\\|\\s*reqauth.*"), "svwar found an extension:\n" + war[0] + war[1]);
            assertTrue(war[1].contains("authentication request for an unknown extension") || war[1].contains("found nothing"),
                    "svwar gave up: the box answers users that exist and those that do not alike:\n" + war[1]);
            NetconfIT.runOn(box, "security_blocks", "127.0.0.67", "-", "-"); // enumerating got it nowhere, and was no fault

            dictionary(work.resolve("attack.txt"), "Sup3r-secret-pw", 20);
            String[] crack = sipvicious("127.0.0.67", 60, "svcrack", "-u", "user1", "-d", work.resolve("attack.txt").toString(), "-P",
                    String.valueOf(BesipOptions.freePort()), "--maximumtime", "2", target);
            assertFalse(crack[0].contains("Sup3r-secret-pw"), "svcrack reached the 20th password:\n" + crack[0] + crack[1]);
            assertTrue(crack[1].contains("found nothing"), crack[1]);
            MonitoringIT.awaitLog(box, "BLOCKED 127.0.0.67 for 600 s (soft faults: 10 SIP authentication failures in 60 s");
            NetconfIT.runOn(box, "security_blocks", "127.0.0.67", "500", "600");

            assertTrue(phone.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, phone.exitValue(), "every legitimate registration succeeded during the attack:\n"
                    + Files.readString(work.resolve("phone.out"), StandardCharsets.UTF_8));
        }
    }
}
