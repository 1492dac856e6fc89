package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second real softphone besides baresip: Debian's linphone (linphonec 5.1, liblinphone and
 * belle-sip) registers with the box on the default challenge without any configuration of the
 * box's, is called through it (auto-answer), and calls an extension, answering the box's 407.
 * linphonec runs with {@code --pipe} under this test's pid and is driven with linphonecsh.
 */
class LinphoneIT {

    static final Path SIPP = Path.of("../bundles/pbx/src/test/resources/sipp").toAbsolutePath();

    @TempDir
    Path work;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stopWhatWasStarted() throws Exception {
        if (Files.isDirectory(work)) {
            linphonecsh("exit");
        }
        for (Process p : started) {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private Process start(String name, List<String> cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
                .redirectOutput(work.resolve(name + ".out").toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        pb.environment().put("HOME", work.toString());
        Process p = pb.start();
        started.add(p);
        return p;
    }

    /** What linphonecsh printed for {@code args} (it talks to the linphonec this test started). */
    private String linphonecsh(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/linphonecsh"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("HOME", work.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return out;
    }

    private Process sipp(String name, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("sipp"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-m", "1", "-nostdin", "-timeout", "30s", "-recv_timeout", "10000"));
        return start(name, cmd);
    }

    private String finish(String name, Process p) throws Exception {
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), name + " did not finish in 60 s");
        return Files.readString(work.resolve(name + ".out"));
    }

    /** Waits (at most 20 s) until linphone's log holds {@code text} {@code times} times. */
    private String awaitLinphoneLog(String text, int times) throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        String log = "";
        while (System.currentTimeMillis() < deadline) {
            log = Files.exists(work.resolve("linphone.log")) ? Files.readString(work.resolve("linphone.log")) : "";
            if (log.split(java.util.regex.Pattern.quote(text), -1).length - 1 >= times) {
                return log;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("linphone never logged '" + text + "' " + times + " times:\n" + log.lines().filter(l -> l.startsWith("SIP/2.0")
                || l.matches("^[A-Z]+ sip:.*")).toList());
    }

    @Test
    void linphoneRegistersOnTheDefaultChallengeIsCalledAndCallsAnExtension() throws Exception {
        assertTrue(Files.isExecutable(Path.of("/usr/bin/linphonec")), "needs Debian's linphone-cli: run the README's test command");
        try (BesipProcess box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort())) {
            NetconfIT.runOn(box, "configure_pbx_users", "2", "Sup3r-secret-pw");
            NetconfIT.runOn(box, "pbx_media_refused"); // what validation refuses in the media, challenge and DNS settings
            MonitoringIT.awaitLog(box, "SIP over UDP on /127.0.0.1:" + box.sipPort());
            int sip = BesipProcess.freeUdpAndTcpPort();
            Files.writeString(work.resolve("linphonerc"), "[sip]\nsip_port=" + sip + "\nsip_tcp_port=0\nsip_tls_port=0\ndefault_proxy=0\n"
                    + "[rtp]\naudio_rtp_port=" + BesipProcess.freeUdpAndTcpPort() + "\n"
                    + "[proxy_0]\nreg_proxy=<sip:127.0.0.1:" + box.sipPort() + ">\nreg_identity=sip:user1@127.0.0.1\nreg_expires=600\n"
                    + "reg_sendregister=1\n[auth_info_0]\nusername=user1\npasswd=Sup3r-secret-pw\nrealm=besip\n");
            Files.createDirectories(work.resolve(".local/share/linphone"));
            start("linphonec", List.of("/usr/bin/linphonec", "--pipe", "-a", "-c", work.resolve("linphonerc").toString(), "-d", "6", "-l",
                    work.resolve("linphone.log").toString()));
            String status = "";
            long deadline = System.currentTimeMillis() + 20_000;
            while (!status.contains("registered, identity=sip:user1@127.0.0.1") && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
                status = linphonecsh("status", "register");
            }
            assertTrue(status.contains("registered, identity=sip:user1@127.0.0.1"), "linphone registered: " + status);
            String reg = awaitLinphoneLog("SIP/2.0 200 OK", 1);
            assertTrue(reg.contains("SIP/2.0 401 Unauthorized"), "after the box's 401 (MD5, the default challenge)");

            // user0 (sipp, digest) calls user1: linphone rings, answers, gets the BYE
            Files.writeString(work.resolve("user0.csv"), "SEQUENTIAL\nuser0;[authentication username=user0 password=Sup3r-secret-pw]\n");
            Process call = sipp("call-linphone", "-sf", SIPP.resolve("uac-proxy-auth.xml").toString(), "-inf", work.resolve("user0.csv").toString(),
                    "-s", "user1", "127.0.0.1:" + box.sipPort(), "-i", "127.0.0.1", "-p", String.valueOf(BesipProcess.freeUdpAndTcpPort()));
            String callOut = finish("call-linphone", call);
            assertEquals(0, call.exitValue(), "user0's call to linphone was answered and hung up:\n" + callOut);
            String log = awaitLinphoneLog("BYE sip:user1@127.0.0.1:" + sip, 1);
            assertTrue(log.contains("INVITE sip:user1@127.0.0.1:" + sip), "the box sent the INVITE to linphone's registered contact");

            // linphone calls extension 100 (user0, a sipp phone registered over digest): it answers the box's 407
            int phone = BesipProcess.freeUdpAndTcpPort();
            Process r = sipp("register-user0", "-sf", SIPP.resolve("register-auth.xml").toString(), "-inf", work.resolve("user0.csv").toString(),
                    "127.0.0.1:" + box.sipPort(), "-i", "127.0.0.1", "-p", String.valueOf(phone));
            assertEquals(0, r.waitFor(60, TimeUnit.SECONDS) ? r.exitValue() : -1, Files.readString(work.resolve("register-user0.out")));
            Process answering = sipp("user0-answers", "-sf", SIPP.resolve("uas-record-route.xml").toString(), "-i", "127.0.0.1", "-p",
                    String.valueOf(phone));
            BesipProcess.awaitUdpListener(phone);
            String dialled = linphonecsh("dial", "sip:100@127.0.0.1:" + box.sipPort());
            assertTrue(dialled.contains("Establishing call"), dialled);
            log = awaitLinphoneLog("ACK sip:127.0.0.1:" + phone, 1); // user0 answered: linphone ACKs its 200
            assertTrue(log.contains("SIP/2.0 407 Proxy Authentication Required"), "the box challenged linphone's INVITE");
            linphonecsh("generic", "terminate");
            String answered = finish("user0-answers", answering);
            assertEquals(0, answering.exitValue(), "user0 answered linphone's call and got its BYE:\n" + answered);

            var cdrs = box.get("besip-pbx.csv", "admin", box.password());
            assertEquals(200, cdrs.statusCode());
            System.out.print("CDRs of the linphone calls:\n" + cdrs.body());
            assertEquals(2, cdrs.body().lines().filter(l -> l.contains("sip:user1@127.0.0.1") && l.contains(",answered,")).count(), cdrs.body());
        }
    }
}
