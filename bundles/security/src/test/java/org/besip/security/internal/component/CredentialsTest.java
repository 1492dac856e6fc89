package org.besip.security.internal.component;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

/** Which packets count as authenticated traffic (docs/security.md): those whose head carries credentials. */
class CredentialsTest {

    static boolean carries(String message) {
        byte[] b = message.getBytes(StandardCharsets.UTF_8);
        return org.besip.security.internal.engine.Inspection.carriesCredentials(b, b.length);
    }

    @Test
    void anAuthorizationOrProxyAuthorizationHeaderInTheHeadInAnyCase() {
        assertTrue(carries("REGISTER sip:box SIP/2.0\r\nVia: x\r\nAuthorization: Digest username=\"a\"\r\n\r\n"));
        assertTrue(carries("INVITE sip:b@box SIP/2.0\r\nPROXY-AUTHORIZATION : Digest username=\"a\"\r\n\r\nv=0"));
        assertTrue(carries("INVITE sip:b@box SIP/2.0\r\nproxy-authorization:\tDigest\r\n\r\n"));
    }

    @Test
    void notInTheBodyNorAsAnotherHeaderNorWithoutAColon() {
        assertFalse(carries("INVITE sip:b@box SIP/2.0\r\nVia: x\r\n\r\nAuthorization: Digest in the body\r\n"));
        assertFalse(carries("REGISTER sip:box SIP/2.0\r\nAuthorization-Info: nextnonce=\"x\"\r\n\r\n"));
        assertFalse(carries("REGISTER sip:box SIP/2.0\r\nX-Authorization: Digest\r\n\r\n"));
        assertFalse(carries("REGISTER sip:box SIP/2.0\r\nAuthorization Digest\r\n\r\n"));
        assertFalse(carries(""));
        assertFalse(carries("x".repeat(9000) + "\r\nAuthorization: Digest\r\n\r\n"), "only the first 8 KiB are read");
    }
}
