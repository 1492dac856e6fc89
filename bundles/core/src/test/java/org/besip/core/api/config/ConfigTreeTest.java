package org.besip.core.api.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

class ConfigTreeTest {

    static final String NS = "urn:test";
    static final ConfigTree TREE = new ConfigTree(NS);

    static Element parse(String xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8))).getDocumentElement();
    }

    @Test
    void typedReadersReadTheFilledInLeaves() throws Exception {
        Element e = parse("<c xmlns='urn:test'><port> 5060 </port><big>4294967295</big><on>true</on><off>false</off></c>");
        assertEquals(5060, TREE.integer(e, "port"));
        assertEquals(4294967295L, TREE.number(e, "big"), "uint32 fits a long");
        assertTrue(TREE.bool(e, "on"));
        assertFalse(TREE.bool(e, "off"));
        assertEquals(5060L, TREE.optionalNumber(e, "port"));
        assertNull(TREE.optionalNumber(e, "absent"));
    }

    @Test
    void aMissingOrMistypedLeafIsNamed() throws Exception {
        Element e = parse("<c xmlns='urn:test'><port>x</port><on>yes</on><other xmlns='urn:else'>1</other></c>");
        assertEquals("no realm in c: its schema default was not filled in",
                assertThrows(IllegalArgumentException.class, () -> TREE.required(e, "realm")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TREE.integer(e, "port")).getMessage().contains("port is not an integer"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TREE.bool(e, "on")).getMessage().contains("on is not a boolean"));
        assertThrows(IllegalArgumentException.class, () -> TREE.integer(e, "other"), "another namespace's leaf is not ours");
        assertThrows(IllegalArgumentException.class, () -> TREE.integer(null, "port"), "an absent container has no leaves");
    }
}
