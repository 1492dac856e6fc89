package org.besip.pbx.internal.sip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NameAddrTest {

    @Test
    void aNameAddrsUriIsInsideItsBracketsAndItsParametersFollow() {
        NameAddr n = NameAddr.parse("\"Alice\" <sip:alice@box;transport=tcp>;tag=a1 ; Expires = 120");
        assertEquals("sip:alice@box;transport=tcp", n.uri(), "URI parameters stay with the URI");
        assertEquals("a1", n.tag());
        assertEquals(120, n.expires(3600), "names in any case, spaces around the =");
        assertNull(n.param("transport"), "transport is the URI's, not the header's");
        assertTrue(n.sip());
    }

    @Test
    void aBareAddrSpecEndsAtItsFirstSemicolon() {
        NameAddr n = NameAddr.parse("sip:bob@10.0.0.3:5080;expires=0");
        assertEquals("sip:bob@10.0.0.3:5080", n.uri());
        assertEquals(0, n.expires(60));
        assertNull(n.tag());
    }

    @Test
    void whatIsNotANumberOrAbsentGivesTheDefaultAndAHugeNumberIsCapped() {
        assertEquals(60, NameAddr.parse("<sip:x@y>;expires=soon").expires(60));
        assertEquals(60, NameAddr.parse("<sip:x@y>").expires(60));
        assertEquals(60, NameAddr.parse("<sip:x@y>;expires=").expires(60));
        assertEquals(Integer.MAX_VALUE, NameAddr.parse("<sip:x@y>;expires=99999999999").expires(60));
        assertNull(NameAddr.parse("<sip:x@y>;tag=").tag(), "an empty tag is none");
        assertNull(NameAddr.parse(null));
    }

    @Test
    void onlySipAndSipsUrisAreSip() {
        assertTrue(NameAddr.parse("<sips:alice@box>").sip());
        assertFalse(NameAddr.parse("<tel:+4930123>").sip());
        assertFalse(NameAddr.parse("<sip:>").sip());
        assertFalse(NameAddr.parse("*").sip());
    }
}
