package org.besip.core.internal.handover;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.besip.core.api.handover.Listeners;
import org.junit.jupiter.api.Test;

class HeldTest {

    private static final InetSocketAddress ANY_LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    @Test
    void theSameNameAndAddressLendTheSameOpenSocket() throws IOException {
        Held h = new Held();
        DatagramChannel a = h.udp("pbx", "sip", ANY_LOOPBACK);
        assertSame(a, h.udp("pbx", "sip", ANY_LOOPBACK));
        assertTrue(a.isOpen());
        h.closeAll();
        assertFalse(a.isOpen());
    }

    @Test
    void aDatagramSentWhileNobodyReadsWaitsForTheNextBorrower() throws IOException {
        Held h = new Held();
        DatagramChannel a = h.udp("pbx", "sip", ANY_LOOPBACK);
        InetSocketAddress at = (InetSocketAddress) a.getLocalAddress();
        try (DatagramChannel phone = DatagramChannel.open()) {
            phone.send(ByteBuffer.wrap("OPTIONS".getBytes(StandardCharsets.US_ASCII)), at);
        }
        DatagramChannel again = h.udp("pbx", "sip", ANY_LOOPBACK); // the next version of the bundle asks
        ByteBuffer b = ByteBuffer.allocate(100);
        again.receive(b);
        assertEquals("OPTIONS", new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII));
        h.closeAll();
    }

    @Test
    void anotherAddressUnderTheNameBindsAnewAndClosesTheOld() throws IOException {
        Held h = new Held();
        DatagramChannel a = h.udp("pbx", "sip", ANY_LOOPBACK);
        DatagramChannel b = h.udp("pbx", "sip", new InetSocketAddress("127.0.0.2", 0));
        assertNotSame(a, b);
        assertFalse(a.isOpen());
        assertTrue(b.isOpen());
        h.closeAll();
    }

    @Test
    void aPortInUseIsRefusedAndLeavesNothingBehind() throws IOException {
        Held h = new Held();
        try (DatagramChannel other = DatagramChannel.open().bind(ANY_LOOPBACK);
                ServerSocketChannel tcp = ServerSocketChannel.open().bind(ANY_LOOPBACK)) {
            assertThrows(IOException.class, () -> h.udp("pbx", "sip", (InetSocketAddress) other.getLocalAddress()));
            assertThrows(IOException.class, () -> h.tcp("pbx", "sip", (InetSocketAddress) tcp.getLocalAddress()));
            assertEquals(List.of(), h.names("pbx"));
        }
    }

    @Test
    void eachBundleHasItsOwnNamesAndState() throws IOException {
        Held h = new Held();
        DatagramChannel a = h.udp("pbx", "sip", ANY_LOOPBACK);
        DatagramChannel b = h.udp("security", "sip", ANY_LOOPBACK);
        assertNotSame(a, b);
        h.leave("pbx", 1, new byte[] { 7 });
        assertTrue(h.take("security").isEmpty());
        var s = h.take("pbx").orElseThrow();
        assertEquals(1, s.version());
        assertArrayEquals(new byte[] { 7 }, s.data());
        assertTrue(h.take("pbx").isEmpty(), "taken once");
        h.forget("pbx");
        assertFalse(a.isOpen(), "an uninstalled bundle's sockets close");
        assertTrue(b.isOpen());
        h.closeAll();
    }

    @Test
    void parkedConnectionsStayUpUntilTakenAndCloseWhenReleased() throws IOException {
        Held h = new Held();
        ServerSocketChannel l = h.tcp("pbx", "sip", ANY_LOOPBACK);
        try (SocketChannel phone = SocketChannel.open(l.getLocalAddress())) {
            SocketChannel accepted = l.accept();
            h.park("pbx", "sip", List.of(new Listeners.Parked(accepted, "REG".getBytes(StandardCharsets.US_ASCII), true)));
            List<Listeners.Parked> back = h.unpark("pbx", "sip");
            assertEquals(1, back.size());
            assertSame(accepted, back.get(0).channel());
            assertEquals("REG", new String(back.get(0).unread(), StandardCharsets.US_ASCII));
            assertTrue(back.get(0).trusted());
            assertEquals(List.of(), h.unpark("pbx", "sip"), "taken once");
            h.park("pbx", "sip", back);
            h.release("pbx", "sip");
            assertFalse(accepted.isOpen());
            assertFalse(l.isOpen());
        }
    }

    @Test
    void stateTakenByARunThatLeftNothingIsThereForTheNextStart() {
        Held h = new Held();
        h.leave("pbx", 1, new byte[] { 1 });
        assertTrue(h.take("pbx").isPresent()); // the new version takes it, then its activation fails
        h.ended("pbx");
        assertArrayEquals(new byte[] { 1 }, h.take("pbx").orElseThrow().data(), "the old version, rolled back to, gets it");
        h.leave("pbx", 1, new byte[] { 2 }); // a run that leaves its own
        h.ended("pbx");
        assertArrayEquals(new byte[] { 2 }, h.take("pbx").orElseThrow().data());
        h.ended("pbx");
        h.leave("pbx", 1, new byte[] { 3 });
        h.ended("pbx");
        assertArrayEquals(new byte[] { 3 }, h.take("pbx").orElseThrow().data(), "what was left is not replaced by an older state");
    }
}
