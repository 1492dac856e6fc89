package org.besip.pbx.internal.registrar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;

import org.junit.jupiter.api.Test;

class LocationServiceTest {

    @Test
    void bindingsAreFoundByContactAndTheirSourceAddressesKnownUntilTheyGo() throws Exception {
        LocationService l = new LocationService();
        InetAddress office = InetAddress.getByName("198.51.100.20");
        l.put(new Binding("alice", "sip:alice@192.168.1.10:5060;transport=udp", 60_000, "c1", 1, "phone", "198.51.100.20:40001"), 0);
        l.put(new Binding("bob", "sip:bob@192.168.1.11:5060", 60_000, "c2", 1, "phone", "198.51.100.20:40002"), 0);
        assertEquals("alice", l.byContact("SIP:alice@192.168.1.10:5060", 1).aor(), "by Contact, parameters and case aside");
        assertTrue(l.hasSource(office));
        l.remove("alice", "sip:alice@192.168.1.10:5060;transport=udp");
        assertNull(l.byContact("sip:alice@192.168.1.10:5060", 1));
        assertTrue(l.hasSource(office), "bob is still registered from the office");
        assertEquals(java.util.List.of(), l.lookup("bob", 60_000), "expired");
        assertFalse(l.hasSource(office), "no live binding from the office any more");
        assertNull(l.byContact("sip:bob@192.168.1.11:5060", 60_000));
    }
}
