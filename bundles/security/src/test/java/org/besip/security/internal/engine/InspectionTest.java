package org.besip.security.internal.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.besip.security.internal.block.Blocklist;
import org.besip.security.internal.block.SoftFaults;
import org.junit.jupiter.api.Test;

class InspectionTest {

    static final String FLOOD = "alert udp any any -> any 5060 (msg:\"SIP DoS attempt(registerflood)\"; content:\"REGISTER sip\"; "
            + "detection_filter:track by_src, count 5, seconds 5; classtype:misc-attack; sid:1000001; rev:1; fwsam:src, 10min;)";
    static final byte[] REGISTER = "REGISTER sip:box SIP/2.0\r\nVia: SIP/2.0/UDP x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    final Blocklist blocks = new Blocklist();
    final List<String> alerts = new ArrayList<>();

    Inspection inspection(Set<String> trunks) {
        Engine engine = EngineTest.engine(FLOOD);
        return new Inspection(blocks, new SoftFaults(), () -> engine, a -> trunks.contains(a.getHostAddress()), a -> false,
                (sid, rev, msg, classtype, source, destination, action, now) -> alerts.add(sid + " " + source + " " + destination + " " + action));
    }

    @Test
    void aFloodIsAlertedThenItsSourceBlockedAndEverythingItSendsDropped() throws Exception {
        Engine engine = EngineTest.engine(FLOOD);
        Inspection i = new Inspection(blocks, new SoftFaults(), () -> engine, a -> false, a -> false,
                (sid, rev, msg, classtype, source, destination, action, now) -> alerts.add(sid + " " + source + " " + destination + " " + action));
        InetAddress flooder = InetAddress.getByName("192.0.2.7");
        InetAddress box = InetAddress.getByName("127.0.0.1");
        List<Boolean> dropped = new ArrayList<>();
        for (int n = 0; n < 8; n++) {
            dropped.add(i.drop(flooder, 40000, box, 5060, true, REGISTER, 1000 + n));
        }
        assertEquals(List.of(false, false, false, false, false, true, true, true), dropped,
                "the sixth REGISTER in 5 s fires the rule and blocks its source: it and all after it are dropped");
        assertEquals(List.of("1000001 192.0.2.7 127.0.0.1:5060 alert"), alerts, "one alert: a blocked source is not judged again");
        assertTrue(blocks.blocked(flooder, 2000));
        assertEquals(3, i.dropped());
        assertEquals(1, i.alerts());
        assertFalse(i.drop(InetAddress.getByName("192.0.2.8"), 40000, box, 5060, true, REGISTER, 2000), "another source is not");
    }

    @Test
    void aTrunkIsNeverBlockedByARuleNorBySoftFaults() throws Exception {
        Inspection i = inspection(Set.of("192.0.2.1"));
        InetAddress trunk = InetAddress.getByName("192.0.2.1");
        for (int n = 0; n < 10; n++) {
            assertFalse(i.drop(trunk, 5060, null, 5060, true, REGISTER, n));
        }
        for (int n = 0; n < 20; n++) {
            i.failed(trunk, "SIP", 100 + n);
        }
        assertFalse(blocks.blocked(trunk, 200));
        assertEquals(5, i.alerts(), "the rule still alerts (detection_filter: every REGISTER past the fifth); only the block is spared");
    }

    @Test
    void tenFailedLoginsInAMinuteBlockTheSourceForTenMinutes() throws Exception {
        Inspection i = inspection(Set.of());
        InetAddress guesser = InetAddress.getByName("198.51.100.4");
        for (int n = 0; n < 9; n++) {
            i.failed(guesser, "NETCONF", 1000 + n * 1000L);
        }
        assertFalse(blocks.blocked(guesser, 10_000));
        i.failed(guesser, "NETCONF", 10_000);
        assertTrue(blocks.blocked(guesser, 10_001));
        assertTrue(blocks.blocked(guesser, 10_000 + 599_000));
        assertFalse(blocks.blocked(guesser, 10_000 + 601_000));
        assertEquals(List.of("0 198.51.100.4  block"), alerts);
    }

    /**
     * The shipped rules against a REGISTER flood from a whitelisted source (here: a trunk, spared
     * the same way): 1 000 REGISTERs in 10 s fire the flood rule past its detection_filter, but
     * alert once a minute (its threshold: type limit), not 950 times.
     */
    @Test
    void aFloodFromASourceNeverBlockedAlertsOnceAMinuteNotOnEveryPacket() throws Exception {
        String shipped;
        try (var in = InspectionTest.class.getResourceAsStream("/rules/besip-sip.rules")) {
            shipped = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Engine engine = EngineTest.engine(shipped);
        Inspection i = new Inspection(blocks, new SoftFaults(), () -> engine, a -> a.getHostAddress().equals("192.0.2.1"), a -> false,
                (sid, rev, msg, classtype, source, destination, action, now) -> alerts.add(sid + " " + source + " " + now));
        InetAddress trunk = InetAddress.getByName("192.0.2.1");
        InetAddress box = InetAddress.getByName("127.0.0.1");
        for (int n = 0; n < 1000; n++) {
            assertFalse(i.drop(trunk, 5060, box, 5060, true, REGISTER, 1_000_000 + n * 10L));
        }
        assertEquals(List.of("1000001 192.0.2.1 1000500"), alerts, "the 51st REGISTER in 5 s alerts; the next 949 do not");
        for (int n = 0; n < 100; n++) {
            i.drop(trunk, 5060, box, 5060, true, REGISTER, 1_061_000 + n * 10L);
        }
        assertEquals(List.of("1000001 192.0.2.1 1000500", "1000001 192.0.2.1 1061500"), alerts, "and once more a minute later");
        assertFalse(blocks.blocked(trunk, 1_062_000));
    }
}
