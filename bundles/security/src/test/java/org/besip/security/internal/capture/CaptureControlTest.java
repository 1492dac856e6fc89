package org.besip.security.internal.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class CaptureControlTest {

    final List<String> log = new ArrayList<>();

    CaptureControl control() {
        return new CaptureControl((interfaces, filter, sink) -> {
            if (interfaces.contains("nosuch0")) {
                throw new org.pcap4j.core.PcapNativeException("no interface named 'nosuch0'");
            }
            log.add("open " + interfaces + " " + filter);
            return () -> log.add("close " + interfaces);
        }, p -> { });
    }

    @Test
    void aCommitThatKeepsTheInterfacesAndFilterKeepsTheCaptureAndAChangeRestartsIt() {
        CaptureControl c = control();
        assertFalse(c.use(List.of(), "udp"), "no interfaces: off");
        assertEquals(-1, c.packets());
        assertTrue(c.use(List.of("eth0"), "udp port 5060"));
        assertTrue(c.use(List.of("eth0"), "udp port 5060"));
        assertEquals(List.of("open [eth0] udp port 5060"), log, "kept");
        assertTrue(c.use(List.of("eth0"), "udp"));
        assertEquals(List.of("open [eth0] udp port 5060", "close [eth0]", "open [eth0] udp"), log);
        assertFalse(c.use(List.of(), "udp"));
        assertEquals("close [eth0]", log.get(log.size() - 1));
    }

    @Test
    void aCaptureThatCannotOpenIsOffAndTheModuleGoesOn() {
        CaptureControl c = control();
        assertFalse(c.use(List.of("nosuch0"), "udp"));
        assertEquals(-1, c.packets());
        assertTrue(c.use(List.of("lo"), "udp"), "a later commit with a good interface captures");
        c.close();
        assertEquals("close [lo]", log.get(log.size() - 1));
    }
}
