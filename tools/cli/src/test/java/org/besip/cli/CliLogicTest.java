package org.besip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.besip.netconf.internal.yang.Schema;
import org.besip.netconf.internal.yang.SchemaCompiler;
import org.besip.netconf.internal.yang.YangParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The CLI's words against the box's shipped YANG modules: paths to XML, completion, text, diff. */
class CliLogicTest {

    static Schema schema;

    @BeforeAll
    static void compile() throws Exception {
        List<SchemaCompiler.Source> sources = new ArrayList<>();
        for (String dir : new String[] { "../../bundles/netconf/src/main/resources/yang", "../../bundles/pbx/src/main/resources/yang" }) {
            try (var files = Files.list(Path.of(dir))) {
                for (Path f : files.filter(p -> p.toString().endsWith(".yang")).sorted().toList()) {
                    String text = Files.readString(f, StandardCharsets.UTF_8);
                    sources.add(new SchemaCompiler.Source(YangParser.parse(text, f.getFileName().toString()), text));
                }
            }
        }
        schema = SchemaCompiler.compile(sources);
    }

    static List<String> w(String line) {
        return Text.words(line);
    }

    @Test
    void aSetPathBecomesTheEditConfigOfItsLeafWithTheListKeysFirst() throws Exception {
        ConfigPath.Resolved p = ConfigPath.resolve(schema, w("set pbx user alice password \"Long enough 1!\"").subList(1, 6), true);
        assertEquals("<config><pbx xmlns=\"urn:besip:params:xml:ns:yang:besip-pbx\"><user><name>alice</name><password>Long enough 1!"
                + "</password></user></pbx></config>", ConfigPath.setXml(p));
        assertEquals("pbx user alice password", p.words());
        ConfigPath.Resolved host = ConfigPath.resolve(schema, w("system hostname office-1"), true);
        assertEquals("<config><system xmlns=\"urn:besip:params:xml:ns:yang:besip-system\"><hostname>office-1</hostname></system></config>",
                ConfigPath.setXml(host));
    }

    @Test
    void aDeleteNamesTheEntryAndAShowFiltersToIt() throws Exception {
        ConfigPath.Resolved p = ConfigPath.resolve(schema, w("pbx user alice"), false);
        assertEquals("<config xmlns:nc=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><pbx xmlns=\"urn:besip:params:xml:ns:yang:besip-pbx\">"
                + "<user nc:operation=\"delete\"><name>alice</name></user></pbx></config>", ConfigPath.deleteXml(p));
        assertEquals("<filter type=\"subtree\"><pbx xmlns=\"urn:besip:params:xml:ns:yang:besip-pbx\"><user><name>alice</name></user></pbx></filter>",
                ConfigPath.filterXml(p));
        assertEquals("<filter type=\"subtree\"><pbx xmlns=\"urn:besip:params:xml:ns:yang:besip-pbx\"><user></user></pbx></filter>",
                ConfigPath.filterXml(ConfigPath.resolve(schema, w("pbx user"), false)), "the whole list");
    }

    @Test
    void aPathThatDoesNotFitTheSchemaSaysWhatWouldFit() {
        ConfigPath.BadPath e = assertThrows(ConfigPath.BadPath.class, () -> ConfigPath.resolve(schema, w("pbx usr alice"), true));
        assertTrue(e.getMessage().startsWith("pbx has no 'usr': one of ") && e.getMessage().contains("user"), e.getMessage());
        assertTrue(assertThrows(ConfigPath.BadPath.class, () -> ConfigPath.resolve(schema, w("pbx user alice password"), true)).getMessage()
                .endsWith("a value is needed"));
        assertTrue(assertThrows(ConfigPath.BadPath.class, () -> ConfigPath.resolve(schema, w("nothing"), true)).getMessage()
                .startsWith("no configuration named 'nothing'"));
        assertTrue(assertThrows(ConfigPath.BadPath.class, () -> ConfigPath.resolve(schema, w("pbx mode b2bua extra"), true)).getMessage()
                .contains("takes one value"));
    }

    @Test
    void completionOffersCommandsNodesExistingKeysAndEnumerationValues() {
        Completion.Existing users = p -> p.target().name().equals("user") ? List.of("alice", "bob") : List.of();
        assertEquals(Completion.COMMANDS, Completion.next(schema, List.of(), users));
        assertTrue(Completion.next(schema, w("set"), users).containsAll(List.of("pbx", "system")));
        assertTrue(Completion.next(schema, w("set pbx"), users).containsAll(List.of("user", "trunk", "mode", "listen")));
        assertEquals(List.of("alice", "bob"), Completion.next(schema, w("delete pbx user"), users), "the users there are");
        assertTrue(Completion.next(schema, w("set pbx user alice"), users).containsAll(List.of("password", "extension")));
        assertEquals(List.of("proxy", "b2bua"), Completion.next(schema, w("set pbx mode"), users));
        List<String> show = Completion.next(schema, w("show"), users);
        assertEquals(List.of("running", "candidate"), show.subList(0, 2));
        assertTrue(show.containsAll(List.of("pbx", "system")), show.toString());
    }

    @Test
    void wordsQuoteAndTheDiffShowsWhatACommitWouldChange() {
        assertEquals(List.of("set", "pbx", "user", "a b", "password", "x\"y"), w("set pbx user \"a b\" password \"x\\\"y\""));
        assertThrows(IllegalArgumentException.class, () -> w("set \"open"));
        assertEquals("\"a b\"", Text.quote("a b"));
        assertEquals("alice", Text.quote("alice"));
        assertEquals("", Text.diff("a\nb\n", "a\nb\n"));
        assertEquals("  pbx {\n-     user alice;\n+     user bob;\n  }\n", Text.diff("pbx {\n    user alice;\n}\n", "pbx {\n    user bob;\n}\n"));
    }

    @Test
    void theConfigurationReadsAsTextWithSecretsMasked() throws Exception {
        String xml = "<data xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><pbx xmlns=\"urn:besip:params:xml:ns:yang:besip-pbx\">"
                + "<mode>b2bua</mode><user><name>alice</name><password>Secret password 1</password><extension>100</extension></user></pbx></data>";
        String text = Text.render(schema, NetconfClient.parse(xml.getBytes(StandardCharsets.UTF_8)));
        assertEquals("pbx {\n    mode b2bua;\n    user alice {\n        password \"****\";\n        extension 100;\n    }\n}\n", text);
    }
}
