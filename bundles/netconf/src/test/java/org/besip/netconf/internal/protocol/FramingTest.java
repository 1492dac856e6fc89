package org.besip.netconf.internal.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class FramingTest {

    private static MessageReader reader(String wire, boolean chunked) {
        MessageReader r = new MessageReader(new ByteArrayInputStream(wire.getBytes(StandardCharsets.UTF_8)), 1000);
        if (chunked) {
            r.useChunkedFraming();
        }
        return r;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void endOfMessageFramingSplitsMessagesAndEndsCleanlyBetweenThem() throws Exception {
        MessageReader r = reader("<a/>]]>]]><b>]]]></b>]]>]]>", false);
        assertArrayEquals(b("<a/>"), r.next());
        assertArrayEquals(b("<b>]]]></b>"), r.next());
        assertNull(r.next());
    }

    @Test
    void chunkedFramingJoinsChunksAsRfc6242Shows() throws Exception {
        // RFC 6242 §4.2 example, one message in two chunks
        MessageReader r = reader("\n#4\n<rpc\n#18\n message-id=\"102\"\n\n##\n", true);
        assertArrayEquals(b("<rpc message-id=\"102\"\n"), r.next());
        assertNull(r.next());
    }

    @Test
    void badChunkHeadersEndTheSession() {
        for (String wire : new String[] { "\n#0\nx\n##\n", "\n#x\n", "#4\nabcd\n##\n", "\n#01\na\n##\n",
                "\n#99999999999\n", "\n##\n" }) {
            assertThrows(java.io.IOException.class, () -> reader(wire, true).next(), wire);
        }
    }

    @Test
    void aMessageOverTheLimitIsReadToItsEndAndRefusedTooBigAndTheNextOneIsRead() throws Exception {
        MessageReader eom = reader("x".repeat(2000) + "]]>]]><ok/>]]>]]>", false);
        MessageReader.TooBig big = assertThrows(MessageReader.TooBig.class, eom::next);
        assertEquals(2000, big.size());
        assertArrayEquals(b("<ok/>"), eom.next(), "the session reads on after it");
        MessageReader chunked = reader("\n#600\n" + "y".repeat(600) + "\n#600\n" + "y".repeat(600) + "\n##\n\n#5\n<ok/>\n##\n", true);
        assertEquals(1200, assertThrows(MessageReader.TooBig.class, chunked::next).size());
        assertArrayEquals(b("<ok/>"), chunked.next());
    }

    @Test
    void aMessageThatNeverEndsEndsTheSession() {
        assertThrows(FramingException.class, () -> reader("x".repeat(65 * 1000 + 1) + "]]>]]>", false).next(), "past 64 times the limit");
        assertThrows(FramingException.class, () -> reader("\n#30000\n" + "z".repeat(30000) + "\n#40000\n" + "z".repeat(40000), true).next());
        assertThrows(EOFException.class, () -> reader("\n#1001\n", true).next(), "closed inside a chunk being skipped");
    }

    @Test
    void aChannelClosedInsideAMessageIsAnError() {
        assertThrows(EOFException.class, () -> reader("<rpc>", false).next());
        assertThrows(EOFException.class, () -> reader("\n#10\nabc", true).next());
    }

    @Test
    void writerAndReaderAgreeInBothFramings() throws Exception {
        for (boolean chunked : new boolean[] { false, true }) {
            ByteArrayOutputStream wire = new ByteArrayOutputStream();
            MessageWriter w = new MessageWriter(wire);
            if (chunked) {
                w.useChunkedFraming();
            }
            w.write(b("<x>]]>]]</x>"));
            w.write(b("<y/>"));
            MessageReader r = new MessageReader(new ByteArrayInputStream(wire.toByteArray()), 1000);
            if (chunked) {
                r.useChunkedFraming();
            }
            assertArrayEquals(b("<x>]]>]]</x>"), r.next());
            assertArrayEquals(b("<y/>"), r.next());
            assertNull(r.next());
        }
    }

    @Test
    void aHelloIsReadInEndOfMessageFramingAsRfc6242Says() throws Exception {
        MessageReader r = reader("\n<hello/>]]>]]>\n#4\n<rpc\n##\n", false);
        assertArrayEquals(b("\n<hello/>"), r.nextHello());
        assertFalse(r.helloWasChunked());
        r.useChunkedFraming();
        assertArrayEquals(b("<rpc"), r.next());
    }

    @Test
    void aHelloInChunkedFramingIsReadAsOneMessageInsteadOfWaitingForever() throws Exception {
        // what ncclient 0.6.13 sends when its transport thread switched to base:1.1 before its hello went out (ncclient #524)
        MessageReader r = reader("\n#8\n<hello/>\n##\n\n#4\n<rpc\n##\n", false);
        assertArrayEquals(b("<hello/>"), r.nextHello());
        assertTrue(r.helloWasChunked());
        r.useChunkedFraming();
        assertArrayEquals(b("<rpc"), r.next());
        assertNull(r.next());
    }
}
