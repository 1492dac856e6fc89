package org.besip.security.internal.firewall;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import org.besip.security.internal.block.Blocklist;
import org.junit.jupiter.api.Test;

class EnforcementTest {

    /** A kernel backend that writes down what it is told. */
    static final class Kernel implements Firewall {
        final List<String> told = new ArrayList<>();

        @Override
        public String name() {
            return "nftables";
        }

        @Override
        public void block(InetAddress address, long seconds) {
            told.add("block " + address.getHostAddress() + " " + seconds);
        }

        @Override
        public void unblock(InetAddress address) {
            told.add("unblock " + address.getHostAddress());
        }

        @Override
        public void close() {
            told.add("close");
        }
    }

    final List<Kernel> opened = new ArrayList<>();
    int staleRemoved;

    Enforcement enforcement(boolean nftUsable) {
        return new Enforcement(blocks -> {
            if (!nftUsable) {
                throw new IOException("nft: not found");
            }
            Kernel k = new Kernel();
            blocks.forEach((a, s) -> k.told.add("block " + a.getHostAddress() + " " + s + " (with the table)"));
            opened.add(k);
            return k;
        }, () -> {
            staleRemoved++;
            return true;
        });
    }

    static Blocklist.Block block(String a, long untilMs) throws Exception {
        return new Blocklist.Block(InetAddress.getByName(a), 0, untilMs, "flood", 1000001);
    }

    @Test
    void inAutoModeTheKernelIsOpenedWithTheFirstBlockAndGetsEveryBlockInForce() throws Exception {
        Enforcement e = enforcement(true);
        e.use("auto", List.of(), 0);
        assertEquals(List.of(), opened, "nothing spawned before a block");
        assertEquals("none", e.name());
        assertEquals(1, staleRemoved, "a table an earlier instance left is removed while nobody takes it over");
        Blocklist.Block first = block("192.0.2.7", 60_500);
        e.block(first, List.of(first), 0);
        assertEquals(1, opened.size());
        assertEquals("the application and nftables", e.where());
        assertTrue(opened.get(0).told.contains("block 192.0.2.7 61 (with the table)"), opened.get(0).told.toString());
        Blocklist.Block second = block("192.0.2.8", 0);
        e.block(second, List.of(first, second), 0);
        assertEquals(1, opened.size(), "opened once");
        assertEquals("block 192.0.2.8 0", opened.get(0).told.get(opened.get(0).told.size() - 1), "0: until unblocked");
        e.unblock(InetAddress.getByName("192.0.2.7"));
        assertEquals("unblock 192.0.2.7", opened.get(0).told.get(opened.get(0).told.size() - 1));
    }

    @Test
    void switchingToNoneClosesTheKernelAndAStopKeepsItsBlocksUnlessTheBoxShutsDown() throws Exception {
        Enforcement e = enforcement(true);
        Blocklist.Block b = block("192.0.2.9", 10_000);
        e.use("nftables", List.of(b), 0);
        assertEquals(List.of("block 192.0.2.9 10 (with the table)"), opened.get(0).told, "in the table from its first moment");
        e.use("nftables", List.of(b), 0);
        assertEquals(1, opened.size(), "the same mode again changes nothing");
        assertTrue(e.stop(false), "an upgrade or a disable: the kernel's blocks stay in force");
        assertFalse(opened.get(0).told.contains("close"));
        e.use("nftables", List.of(b), 0);
        assertFalse(e.stop(true), "a shutdown closes the backend");
        assertTrue(opened.get(1).told.contains("close"));
        e.use("none", List.of(b), 0);
        assertEquals("none", e.name());
    }

    @Test
    void nftablesThatCannotBeUsedLeavesTheApplicationBlocking() throws Exception {
        Enforcement e = enforcement(false);
        e.use("nftables", List.of(block("192.0.2.1", 0)), 0);
        assertEquals("the application", e.where());
        assertFalse(e.stop(false), "nothing in the kernel to keep");
    }
}
