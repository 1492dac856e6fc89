package org.besip.netconf.internal.yang;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which must/when expressions may be evaluated on a copy of their node alone (Validator's fast path). */
class XPathLocalTest {

    @Test
    void anExpressionThatStaysInsideItsNodeIsLocal() {
        assertTrue(XPathSupport.isLocal("password or ha1"));
        assertTrue(XPathSupport.isLocal("registration/username and count(source-address) < 5"));
        assertTrue(XPathSupport.isLocal("not(mode = '../x') and name != \"/etc\""), "paths in string literals do not count");
        assertTrue(XPathSupport.isLocal("current()/port > 1024"));
    }

    @Test
    void existenceTestsAgreeWithTheJdksXPath() throws Exception {
        org.w3c.dom.Element user = DataTrees.builder().parse(new java.io.ByteArrayInputStream(("<user xmlns='urn:t'><name>a</name>"
                + "<password/><reg><username>u</username></reg><x:other xmlns:x='urn:o'/></user>").getBytes(
                        java.nio.charset.StandardCharsets.UTF_8))).getDocumentElement();
        java.util.Map<String, String> prefixes = java.util.Map.of("t", "urn:t", "o", "urn:o");
        for (String expr : new String[] { "password or ha1", "ha1 or password", "password and ha1", "not(ha1)", "not(password)",
                "(ha1 or name) and not(reg/secret)", "reg/username", "reg/password", "t:name and o:other", "o:name", "not(not(name))",
                "ha1 or not(password) or reg/username and name" }) {
            XPathSupport.Existence e = XPathSupport.Existence.parse(expr);
            org.junit.jupiter.api.Assertions.assertNotSame(XPathSupport.Existence.NOT_SIMPLE, e, expr);
            org.junit.jupiter.api.Assertions.assertEquals(XPathSupport.jdkTest(expr, prefixes, "urn:t", user), e.test(user, prefixes, "urn:t"), expr);
        }
        for (String expr : new String[] { "count(name) > 0", "name = 'a'", "../x", "string-length(name)", "name or", "(name", "" }) {
            org.junit.jupiter.api.Assertions.assertSame(XPathSupport.Existence.NOT_SIMPLE, XPathSupport.Existence.parse(expr), expr);
        }
    }

    @Test
    void anExpressionThatLooksOutsideIsNot() {
        assertFalse(XPathSupport.isLocal("/pbx:pbx/pbx:user/pbx:name = name"));
        assertFalse(XPathSupport.isLocal("not(../../netconf/port) or . != ../../netconf/port"));
        assertFalse(XPathSupport.isLocal("count(/system/modules/module) < 10"));
        assertFalse(XPathSupport.isLocal("name = //user/name"));
        assertFalse(XPathSupport.isLocal("ancestor::pbx/mode = 'b2bua'"));
        assertFalse(XPathSupport.isLocal("preceding-sibling::user"));
    }
}
