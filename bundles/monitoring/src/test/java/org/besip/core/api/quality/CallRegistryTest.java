package org.besip.core.api.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.besip.monitoring.internal.calls.CallRegistry;
import org.junit.jupiter.api.Test;

class CallRegistryTest {

    @Test
    void callEventsMapEndpointsToCallsNameDynamicTypesAndNarrowTheFilter() {
        CallRegistry calls = new CallRegistry();
        assertEquals("udp", calls.bpf());
        calls.started("a@pbx", "127.0.0.2:40000", "127.0.0.3:41000",
                new String[] { "8 PCMA/8000", "101 telephone-event/8000", "97 iLBC/8000", "nonsense" });
        assertEquals("a@pbx", calls.callOf("127.0.0.3:41000"));
        assertEquals("udp and ((host 127.0.0.2 and port 40000) or (host 127.0.0.3 and port 41000))", calls.bpf());
        assertEquals("ILBC", calls.dynamicTypes().get(97).name());
        assertEquals(false, calls.dynamicTypes().get(101).voice());

        // a stream of dynamic type 97 is named by the SDP: iLBC, which has no ITU-T values
        RtpStream s = new RtpStream(new StreamKey(1, "127.0.0.2", 40000, "127.0.0.3", 41000), calls.dynamicTypes());
        for (int i = 0; i < 3; i++) {
            byte[] b = RtpStreamTest.rtp(97, i, i * 240L, 1);
            s.add(RtpPacket.parse(b, 0, b.length), i * 0.03);
        }
        assertEquals("ILBC", s.stats().codec());

        calls.ended("a@pbx");
        assertNull(calls.callOf("127.0.0.3:41000"));
        assertEquals("udp", calls.bpf());
    }

    @Test
    void aRelayedCallsStreamsAreItsCallsByTheRelaysEndpointsToo() {
        CallRegistry calls = new CallRegistry();
        // the phone behind a NAT says 192.168.1.20 in its SDP; what the box captures comes from the NAT to the relay's port
        calls.started("r@pbx", "192.168.1.20:7078", "127.0.0.3:41000", new String[] { "0 PCMU/8000" },
                new String[] { "10.0.0.1:30000", "10.0.0.1:30002" });
        assertEquals("r@pbx", calls.callOf("10.0.0.1:30000"));
        assertEquals("r@pbx", calls.callOf("10.0.0.1:30002"));
        assertEquals("r@pbx", calls.callOf("127.0.0.3:41000"));
    }

    @Test
    void garbageInEventsIsIgnored() {
        CallRegistry calls = new CallRegistry();
        calls.started(null, "x", "y", null);
        calls.started("b", "not an address; rm -rf /", "127.0.0.1:5", null);
        assertEquals("udp and ((host 127.0.0.1 and port 5))", calls.bpf(), "only well-formed endpoints reach the filter");
    }
}
