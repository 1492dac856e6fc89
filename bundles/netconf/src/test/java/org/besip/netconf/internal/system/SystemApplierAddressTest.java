package org.besip.netconf.internal.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

/** What besip-system's doors and storage become before anything is applied. */
class SystemApplierAddressTest {

    @Test
    void aDoorMayListenOnAllOnLoopbackOrOnAnAddressTheBoxHasButNowhereElse() {
        assertNull(SystemApplier.notOurs("0.0.0.0"));
        assertNull(SystemApplier.notOurs("::"));
        assertNull(SystemApplier.notOurs("127.0.0.1"));
        assertNull(SystemApplier.notOurs("127.0.0.5"), "all of 127/8 is this box's");
        assertEquals("no interface of this box has the address 192.0.2.1: the door would be unreachable", SystemApplier.notOurs("192.0.2.1"));
        assertTrue(SystemApplier.notOurs("999.1.1.1").contains("is not an address this box can listen on"));
    }

    private static Element parse(String xml) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8))).getDocumentElement();
    }

    @Test
    void storageSettingsAreWhatCoreTakesAndOnlyForPostgresql() throws Exception {
        assertEquals(Map.of("backend", "sqlite"), SystemApplier.storage(null));
        String ns = SystemApplier.SYS;
        Element pg = parse("<storage xmlns='" + ns + "'><backend>postgresql</backend><postgresql><url>jdbc:postgresql://db/besip</url>"
                + "<user>besip</user><password>fleet-Store-7q2</password><pool-size>3</pool-size></postgresql></storage>");
        assertEquals(Map.of("backend", "postgresql", "url", "jdbc:postgresql://db/besip", "user", "besip", "password", "fleet-Store-7q2",
                "pool-size", "3"), SystemApplier.storage(pg));
        Element back = parse("<storage xmlns='" + ns + "'><backend>sqlite</backend><postgresql><url>jdbc:postgresql://db/besip</url>"
                + "</postgresql></storage>");
        assertEquals(Map.of("backend", "sqlite"), SystemApplier.storage(back), "settings of a backend not chosen are not passed on");
    }
}
