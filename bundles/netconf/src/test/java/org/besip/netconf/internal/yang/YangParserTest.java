package org.besip.netconf.internal.yang;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class YangParserTest {

    @Test
    void readsNestedStatementsCommentsAndAllStringForms() throws Exception {
        Statement m = YangParser.parse("""
                // a comment
                module m { /* block
                  comment */
                  namespace "urn:m";
                  prefix m;
                  leaf a {
                    type string { pattern '[a-z]+\\d'; }
                    description "one "
                              + 'two';
                  }
                  leaf b { type int8; default "-3"; }
                }
                """, "m.yang");
        assertEquals("module", m.keyword());
        assertEquals("m", m.argument());
        assertEquals("urn:m", m.arg("namespace"));
        Statement a = m.all("leaf").get(0);
        assertEquals("[a-z]+\\d", a.first("type").get().arg("pattern"), "single quotes keep backslashes");
        assertEquals("one two", a.arg("description"));
        assertEquals(6, a.line());
    }

    @Test
    void doubleQuotedStringsFollowRfc7950Escapes() throws Exception {
        Statement m = YangParser.parse("module m { description \"tab\\there \\\"q\\\" back\\\\slash\"; }", "m.yang");
        assertEquals("tab\there \"q\" back\\slash", m.arg("description"));
        var e = assertThrows(YangException.class, () -> YangParser.parse("module m { description \"bad \\x\"; }", "m.yang"));
        assertTrue(e.getMessage().startsWith("m.yang:1:"), e.getMessage());
    }

    @Test
    void multiLineDoubleQuotedStringsLoseTheirIndentation() throws Exception {
        Statement m = YangParser.parse("module m {\n  description\n    \"first   \n     second\";\n}", "m.yang");
        assertEquals("first\nsecond", m.arg("description"));
    }

    @Test
    void errorsNameFileLineAndColumn() {
        var e = assertThrows(YangException.class, () -> YangParser.parse("module m {\n  leaf a {\n    type string\n  }\n}", "x.yang"));
        assertTrue(e.getMessage().startsWith("x.yang:4:"), e.getMessage());
        e = assertThrows(YangException.class, () -> YangParser.parse("module m {\n leaf a;", "x.yang"));
        assertTrue(e.getMessage().contains("missing '}'"), e.getMessage());
        e = assertThrows(YangException.class, () -> YangParser.parse("container c {}", "x.yang"));
        assertTrue(e.getMessage().contains("expected 'module'"), e.getMessage());
    }
}
