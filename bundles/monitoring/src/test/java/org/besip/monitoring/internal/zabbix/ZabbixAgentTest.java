package org.besip.monitoring.internal.zabbix;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ZabbixAgentTest {

    static String ask(int port, byte[] request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(request);
            s.shutdownOutput();
            byte[] all = s.getInputStream().readAllBytes();
            return all.length < 13 ? null : new String(all, 13, all.length - 13, StandardCharsets.UTF_8);
        }
    }

    @Test
    void answersKeysRefusesUnknownOnesWithAReasonAndDropsMalformedRequests() throws Exception {
        try (ZabbixAgent agent = new ZabbixAgent(new InetSocketAddress("127.0.0.1", 0), Set.of(InetAddress.getByName("127.0.0.1")),
                key -> key.equals("agent.ping") ? ZabbixAgent.Answer.of(1) : ZabbixAgent.Answer.notSupported("unknown key"))) {
            assertEquals("1", ask(agent.port(), ZabbixAgent.frame("agent.ping".getBytes(StandardCharsets.UTF_8))));
            assertEquals("ZBX_NOTSUPPORTED\0unknown key", ask(agent.port(), ZabbixAgent.frame("x".getBytes(StandardCharsets.UTF_8))));
            assertEquals("ZBX_NOTSUPPORTED\0malformed request", ask(agent.port(), "agent.ping\n".getBytes(StandardCharsets.UTF_8)));
            byte[] huge = ZabbixAgent.frame(new byte[0]);
            huge[5] = (byte) 0xFF; // a length of 4 GB
            huge[6] = (byte) 0xFF;
            huge[7] = (byte) 0xFF;
            huge[8] = (byte) 0x7F;
            assertEquals("ZBX_NOTSUPPORTED\0malformed request", ask(agent.port(), huge));
        }
    }

    @Test
    void readsTheAgent6Framing() throws Exception {
        byte[] f = ZabbixAgent.frame("system.uptime".getBytes(StandardCharsets.UTF_8));
        assertEquals("ZBXD", new String(f, 0, 4, StandardCharsets.US_ASCII));
        assertEquals(1, f[4]);
        assertEquals(13, f[5]);
        assertEquals("system.uptime", ZabbixAgent.readKey(new ByteArrayInputStream(f)));
    }
}
