package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real provider on the other side of the box's trunk: Debian's Kamailio 5.6
 * ({@code kamailio/provider.cfg.in}: registrar with digest, every INVITE from the box challenged
 * with 407, a DID routed back to the box's registered contact), found by its DNS name: Debian's
 * dnsmasq serves the SRV record of {@code _sip._udp.provider.test} (RFC 3263) and the box is
 * told to ask it. The box, configured over NETCONF, registers with the provider, calls out
 * through it after answering the INVITE challenge with the trunk's account, presenting the
 * trunk's caller-id and the user's display name, and rings the right user when the provider
 * delivers a call on the DID. The phones and the PSTN side are sipp.
 */
class ProviderTrunkIT {

    static final Path SIPP = Path.of("../bundles/pbx/src/test/resources/sipp").toAbsolutePath();
    static final String ACCOUNT = "besiptrunk";
    static final String ACCOUNT_PASSWORD = "pr0vider-account-pw";
    static final String DID = "15551230001";
    static final String NAME = "provider.test";

    @TempDir
    Path work;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void stopWhatWasStarted() throws InterruptedException {
        for (Process p : started) {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private Process start(String name, List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true).redirectOutput(work.resolve(name + ".out").toFile())
                .start();
        started.add(p);
        return p;
    }

    private String finish(String name, Process p, int seconds) throws Exception {
        assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), name + " did not finish in " + seconds + " s");
        return Files.readString(work.resolve(name + ".out"));
    }

    private Process sipp(String name, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("sipp"));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("-m", "1", "-nostdin", "-timeout", "30s", "-recv_timeout", "10000"));
        return start(name, cmd);
    }

    static int freeUdpPort(String host) throws Exception {
        try (java.net.DatagramSocket s = new java.net.DatagramSocket(new java.net.InetSocketAddress(host, 0))) {
            return s.getLocalPort();
        }
    }

    @Test
    void theBoxRegistersCallsOutAfterTheInviteChallengeAndRingsTheUserOfTheDid() throws Exception {
        int provider = BesipProcess.freeUdpAndTcpPort();
        int pstn = BesipProcess.freeUdpAndTcpPort();
        String cfg = Files.readString(Path.of("src/test/resources/kamailio/provider.cfg.in"))
                .replace("@LISTEN@", "udp:127.0.0.1:" + provider).replace("@USER@", ACCOUNT).replace("@PASSWORD@", ACCOUNT_PASSWORD)
                .replace("@DID@", DID).replace("@PSTN@", "127.0.0.1:" + pstn).replace("@PSTN_CALLER_IP@", "127.0.0.3");
        Files.writeString(work.resolve("provider.cfg"), cfg);
        Process kamailio = start("kamailio", List.of("/usr/sbin/kamailio", "-f", work.resolve("provider.cfg").toString(), "-DD", "-E", "-m",
                "64", "-M", "8", "-P", work.resolve("kamailio.pid").toString(), "-w", work.toString()));
        BesipProcess.awaitUdpListener(provider);
        // the provider's DNS: _sip._udp.provider.test -> sip1.provider.test:<provider> -> 127.0.0.1
        assertTrue(Files.isExecutable(Path.of("/usr/sbin/dnsmasq")), "needs Debian's dnsmasq-base: run the README's test command");
        int dnsPort = freeUdpPort("127.0.0.53");
        start("dnsmasq", List.of("/usr/sbin/dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                "--bind-interfaces", "--user=" + System.getProperty("user.name"), "--local=/" + NAME + "/", "--listen-address=127.0.0.53",
                "--port=" + dnsPort, "--srv-host=_sip._udp." + NAME + ",sip1." + NAME + "," + provider + ",10,50",
                "--host-record=sip1." + NAME + ",127.0.0.1", "--log-facility=-", "--log-queries"));
        BesipProcess.awaitUdpListener("127.0.0.53", dnsPort);

        try (BesipProcess box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort())) {
            NetconfIT.runOn(box, "configure_pbx_users", "2", "Sup3r-secret-pw");
            NetconfIT.runOn(box, "pbx_provider_trunk_by_name", "127.0.0.53:" + dnsPort, NAME, ACCOUNT, ACCOUNT_PASSWORD, DID, "user1", DID,
                    "Alice Example");
            MonitoringIT.awaitLog(box, "trunk provider: " + NAME + " is [/127.0.0.1:" + provider + "]");
            MonitoringIT.awaitLog(box, "trunk provider: registered");

            // user1's phone registers with the box, then answers there
            int phone = BesipProcess.freeUdpAndTcpPort();
            Files.writeString(work.resolve("user1.csv"), "SEQUENTIAL\nuser1;[authentication username=user1 password=Sup3r-secret-pw]\n");
            Process reg = sipp("register", "-sf", SIPP.resolve("register-auth.xml").toString(), "-inf", work.resolve("user1.csv").toString(),
                    "127.0.0.1:" + box.sipPort(), "-i", "127.0.0.1", "-p", String.valueOf(phone));
            String regOut = finish("register", reg, 60);
            assertEquals(0, reg.exitValue(), "user1's phone registered:\n" + regOut);

            // the PSTN calls the DID at the provider: the provider sends it to the box's contact, the box rings user1
            Process answering = sipp("phone", "-sf", SIPP.resolve("uas-record-route.xml").toString(), "-i", "127.0.0.1", "-p",
                    String.valueOf(phone));
            BesipProcess.awaitUdpListener(phone);
            Files.writeString(work.resolve("pstn.csv"), "SEQUENTIAL\n+15550000999\n");
            Process pstnCaller = sipp("pstn-caller", "-sf", Path.of("src/test/resources/sipp/uac-pstn.xml").toAbsolutePath().toString(),
                    "-inf", work.resolve("pstn.csv").toString(), "-s", DID, "127.0.0.1:" + provider, "-i", "127.0.0.3", "-p",
                    String.valueOf(BesipProcess.freeUdpAndTcpPort()));
            String callerOut = finish("pstn-caller", pstnCaller, 60);
            assertEquals(0, pstnCaller.exitValue(), "the call on the DID was answered and hung up:\n" + callerOut
                    + Files.readString(work.resolve("kamailio.out")));
            String phoneOut = finish("phone", answering, 30);
            assertEquals(0, answering.exitValue(), "user1's phone rang, answered and got the BYE:\n" + phoneOut);

            // user0 calls a number out: the box answers the provider's 407 with the trunk's account
            Process pstnCallee = sipp("pstn-callee", "-sf", SIPP.resolve("uas-record-route.xml").toString(), "-i", "127.0.0.1", "-p",
                    String.valueOf(pstn));
            BesipProcess.awaitUdpListener(pstn);
            Files.writeString(work.resolve("user0.csv"), "SEQUENTIAL\nuser0;[authentication username=user0 password=Sup3r-secret-pw]\n");
            Process out = sipp("call-out", "-sf", SIPP.resolve("uac-proxy-auth.xml").toString(), "-inf", work.resolve("user0.csv").toString(),
                    "-s", "0049301234567", "127.0.0.1:" + box.sipPort(), "-i", "127.0.0.1", "-p",
                    String.valueOf(BesipProcess.freeUdpAndTcpPort()));
            String outLog = finish("call-out", out, 60);
            assertEquals(0, out.exitValue(), "the call out through the provider was answered and hung up:\n" + outLog
                    + Files.readString(work.resolve("kamailio.out")));
            String calleeOut = finish("pstn-callee", pstnCallee, 30);
            assertEquals(0, pstnCallee.exitValue(), "the PSTN callee answered and got the BYE:\n" + calleeOut);

            String provLog = Files.readString(work.resolve("kamailio.out"));
            assertTrue(provLog.contains("PROVIDER: registered sip:" + ACCOUNT + "@"), provLog);
            assertTrue(provLog.contains("-> 407") && provLog.contains("PROVIDER: call out from sip:" + DID + "@" + NAME + " name \"Alice Example\" pai sip:"
                    + DID + "@" + NAME + " as " + ACCOUNT + " -> sip:0049301234567@127.0.0.1:" + pstn),
                    "challenged, then authenticated as the trunk's account, presenting its caller-id and user0's name:\n" + provLog);
            assertTrue(provLog.contains("PROVIDER: DID call to sip:" + DID + "@"), provLog);

            var cdrs = box.get("besip-pbx.csv", "admin", box.password());
            assertEquals(200, cdrs.statusCode());
            System.out.print("CDRs of the provider calls:\n" + cdrs.body());
            assertTrue(cdrs.body().lines().anyMatch(l -> l.contains(",sip:0049301234567@") && l.contains(",answered,caller,provider,")),
                    cdrs.body());
            assertTrue(cdrs.body().lines().anyMatch(l -> l.contains("sip:+15550000999@127.0.0.3") && l.contains(",sip:" + DID + "@")
                    && l.contains(",answered,caller,provider,")), "the DID call, from the trunk: " + cdrs.body());
        } finally {
            kamailio.destroy();
            kamailio.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
