package org.besip.security.internal.firewall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The nftables backend for real, inside a network namespace the test makes (so the host's rules
 * are never touched): a blocked source's datagrams no longer reach a socket, the kernel holds the
 * timeout, an unblock lets them through again.
 */
class NftablesFirewallTest {

    final String ns = "besip-nft-" + ProcessHandle.current().pid();

    static String sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
        return out;
    }

    @BeforeEach
    void namespace() throws Exception {
        sh("ip", "netns", "add", ns);
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
    }

    @AfterEach
    void remove() throws Exception {
        sh("ip", "netns", "del", ns);
    }

    /** Sends three datagrams from {@code src} to 127.0.0.1:9999 inside the namespace; returns how many arrived. */
    int delivered(String src) throws Exception {
        String py = "import socket\n"
                + "r=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); r.bind(('127.0.0.1',9999)); r.settimeout(0.3)\n"
                + "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('" + src + "',0))\n"
                + "for i in range(3): s.sendto(b'REGISTER sip:x SIP/2.0',('127.0.0.1',9999))\n"
                + "n=0\n"
                + "try:\n"
                + "  while True: r.recv(100); n+=1\n"
                + "except OSError: pass\n"
                + "print(n)\n";
        return Integer.parseInt(sh("ip", "netns", "exec", ns, "python3", "-c", py).strip());
    }

    @Test
    void aBlockedSourceIsDroppedByTheKernelUntilUnblocked() throws Exception {
        List<String> nft = List.of("ip", "netns", "exec", ns, "nft");
        try (NftablesFirewall fw = NftablesFirewall.open(nft)) {
            assertEquals(3, delivered("127.0.0.2"));
            fw.block(InetAddress.getByName("127.0.0.2"), 600);
            fw.block(InetAddress.getByName("2001:db8::66"), 0);
            String listed = fw.list();
            assertTrue(listed.matches("(?s).*127\\.0\\.0\\.2 timeout 10m.*"), listed);
            assertTrue(listed.contains("2001:db8::66"), listed);
            assertEquals(0, delivered("127.0.0.2"), "dropped before the socket");
            assertEquals(3, delivered("127.0.0.3"), "others pass");
            fw.block(InetAddress.getByName("127.0.0.2"), 1200); // again: replaces the timeout, no error
            assertTrue(fw.list().contains("127.0.0.2 timeout 20m"), fw.list());
            fw.unblock(InetAddress.getByName("127.0.0.2"));
            assertEquals(3, delivered("127.0.0.2"));
            fw.unblock(InetAddress.getByName("127.0.0.2")); // twice: no error
            fw.block(InetAddress.getByName("127.0.0.4"), 1);
            assertTrue(fw.list().contains("127.0.0.4"));
            long deadline = System.currentTimeMillis() + 5000;
            while (fw.list().contains("127.0.0.4") && System.currentTimeMillis() < deadline) {
                Thread.sleep(100);
            }
            assertFalse(fw.list().contains("127.0.0.4"), "the kernel lifted it by itself");
        }
        assertFalse(sh("ip", "netns", "exec", ns, "nft", "list", "ruleset").contains("besip"), "close removes the table");
    }

    @Test
    void aTableLeftByAnInstanceThatDidNotStopIsRemovedAndItsBlocksWithIt() throws Exception {
        List<String> nft = List.of("ip", "netns", "exec", ns, "nft");
        NftablesFirewall left = NftablesFirewall.open(nft); // an instance that blocked, then died without closing
        left.block(InetAddress.getByName("127.0.0.2"), 600);
        assertEquals(0, delivered("127.0.0.2"), "the dead instance's block still drops");
        assertTrue(NftablesFirewall.removeStale(nft));
        assertEquals(3, delivered("127.0.0.2"), "nobody enforces it any more: the datagrams arrive again");
        assertFalse(NftablesFirewall.removeStale(nft), "nothing left to remove");
    }

    @Test
    void theNextVersionsTableIsMadeWithTheBlocksInForceInOneStep() throws Exception {
        List<String> nft = List.of("ip", "netns", "exec", ns, "nft");
        NftablesFirewall before = NftablesFirewall.open(nft); // the version that stopped left its table in force
        before.block(InetAddress.getByName("127.0.0.2"), 600);
        java.util.Map<InetAddress, Long> inForce = new java.util.LinkedHashMap<>();
        inForce.put(InetAddress.getByName("127.0.0.2"), 590L);
        inForce.put(InetAddress.getByName("127.0.0.5"), 0L);
        inForce.put(InetAddress.getByName("2001:db8::7"), 30L);
        try (NftablesFirewall next = NftablesFirewall.open(nft, inForce)) {
            String listed = next.list();
            assertTrue(listed.matches("(?s).*127\\.0\\.0\\.2 timeout 9m50s.*") && listed.contains("127.0.0.5") && listed.contains("2001:db8::7"),
                    listed);
            assertEquals(0, delivered("127.0.0.2"));
            assertEquals(0, delivered("127.0.0.5"));
            assertEquals(3, delivered("127.0.0.3"));
        }
    }
}
