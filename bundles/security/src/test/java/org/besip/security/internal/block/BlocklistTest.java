package org.besip.security.internal.block;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import org.besip.security.internal.rules.AddressSet;
import org.junit.jupiter.api.Test;

class BlocklistTest {

    final List<String> log = new ArrayList<>();
    final Blocklist list = new Blocklist();

    BlocklistTest() {
        list.listener(new Blocklist.Listener() {
            @Override
            public void blocked(Blocklist.Block b) {
                log.add("blocked " + b.address().getHostAddress());
            }

            @Override
            public void unblocked(Blocklist.Block b, String why) {
                log.add("unblocked " + b.address().getHostAddress() + " " + why);
            }
        });
    }

    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void aBlockLastsItsDurationAndExpiresByItself() throws Exception {
        list.block(ip("127.0.0.2"), 600, "flood", 1000001, 1_000);
        assertTrue(list.blocked(ip("127.0.0.2"), 600_999));
        assertFalse(list.blocked(ip("127.0.0.3"), 2_000));
        assertFalse(list.blocked(ip("127.0.0.2"), 601_000), "600 s after it began");
        assertEquals(List.of("blocked 127.0.0.2", "unblocked 127.0.0.2 expired"), log);
        assertEquals(0, list.size());
    }

    @Test
    void blockingAgainKeepsTheLaterExpiry() throws Exception {
        list.block(ip("127.0.0.2"), 600, "a", 1, 0);
        Blocklist.Block b = list.block(ip("127.0.0.2"), 60, "b", 2, 1000);
        assertEquals(600_000, b.untilMs(), "a shorter block does not shorten it");
        assertEquals(1_201_000, list.block(ip("127.0.0.2"), 1200, "c", 3, 1000).untilMs());
        assertEquals(0, list.block(ip("127.0.0.2"), 0, "manual", 0, 2000).untilMs(), "permanent wins");
        assertTrue(list.blocked(ip("127.0.0.2"), Long.MAX_VALUE / 2));
        assertTrue(list.unblock(ip("127.0.0.2")));
        assertFalse(list.blocked(ip("127.0.0.2"), 3000));
    }

    @Test
    void theWhitelistIsNeverBlockedAndLiftsExistingBlocks() throws Exception {
        list.block(ip("192.0.2.10"), 600, "x", 1, 0);
        list.whitelist(List.of(AddressSet.Cidr.parse("127.0.0.1"), AddressSet.Cidr.parse("192.0.2.0/24"), AddressSet.Cidr.parse("::1")));
        assertFalse(list.blocked(ip("192.0.2.10"), 1));
        assertNull(list.block(ip("127.0.0.1"), 600, "x", 1, 0));
        assertNull(list.block(ip("192.0.2.99"), 600, "x", 1, 0));
        assertNull(list.block(ip("::1"), 600, "x", 1, 0));
        assertTrue(list.block(ip("127.0.0.2"), 600, "x", 1, 0) != null);
        assertEquals(List.of("blocked 192.0.2.10", "unblocked 192.0.2.10 whitelisted", "blocked 127.0.0.2"), log);
    }

    @Test
    void theTableIsBoundedAndTheSoonestToExpireGivesWay() throws Exception {
        for (int i = 0; i < Blocklist.MAX + 10; i++) {
            byte[] a = {10, (byte) (i >> 16), (byte) (i >> 8), (byte) i};
            list.block(InetAddress.getByAddress(a), 1000 + i, "flood", 1, 0);
        }
        assertEquals(Blocklist.MAX, list.size());
        assertFalse(list.blocked(InetAddress.getByAddress(new byte[] {10, 0, 0, 0}), 1), "the one expiring first went");
    }
}
