package org.besip.netconf.internal.yang;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class SchemaCompilerTest {

    private static final String SYS = "urn:besip:params:xml:ns:yang:besip-system";
    private static final String T = "urn:besip:test";

    @Test
    void compilesTheSystemModelWithTypedefsDefaultsAndRpcs() throws Exception {
        Schema s = Models.systemAndTest();
        SchemaNode system = s.top(SYS, "system");
        assertNotNull(system);
        SchemaNode port = system.dataChild(SYS, "http").dataChild(SYS, "port");
        assertEquals("uint16", port.type().builtin());
        assertEquals("port-number", port.type().name());
        assertNull(port.defaultValue(), "absent means the port the box was started with");
        assertEquals(1, port.musts().size());
        assertEquals("/besip-system:system/http/port", port.path());
        assertNull(port.type().check("65535", null));
        assertTrue(port.type().check("0", null).contains("out of range 1..65535"));
        assertNotNull(s.rpc(SYS, "install-module"));
        SchemaNode input = s.rpc(SYS, "install-module").children().get(SchemaNode.key(SYS, "input"));
        assertTrue(input.dataChild(SYS, "sha256").mandatory(), "uses of a grouping brings its nodes with their flags");
        assertEquals("2026-12-02", s.module("besip-system").revision(), "the newest revision");
    }

    @Test
    void groupingsTakeTheUsingModulesNamespaceAndImportedTypesResolve() throws Exception {
        Schema s = Models.systemAndTest();
        SchemaNode trunk = s.top(T, "pbx").dataChild(T, "trunk");
        SchemaNode port = trunk.dataChild(T, "port");
        assertNotNull(port, "the grouping's leaf is in besip-test's namespace");
        assertEquals("port-number", port.type().name(), "sys:port-number from the imported module");
        assertEquals(List.of("name"), trunk.keys());
        SchemaNode user = s.top(T, "pbx").dataChild(T, "user");
        assertEquals(List.of(List.of("extension")), user.uniques());
        assertNotNull(user.dataChild(T, "password"), "leaves of a choice are data children");
        assertTrue(s.derivesFrom(T + "|g711", T + "|codec"));
        assertFalse(s.derivesFrom(T + "|codec", T + "|codec"));
    }

    @Test
    void mistakesInAModelAreReportedWithTheirPlace() {
        var e = assertThrows(YangException.class, () -> Models.compile(
                "module a { namespace urn:a; prefix a; leaf x { type nosuch; } }"));
        assertTrue(e.getMessage().contains("type 'nosuch' is not defined"), e.getMessage());
        e = assertThrows(YangException.class, () -> Models.compile(
                "module a { namespace urn:a; prefix a; import b { prefix b; } }"));
        assertTrue(e.getMessage().contains("imports b, which is not loaded"), e.getMessage());
        e = assertThrows(YangException.class, () -> Models.compile(
                "module a { namespace urn:a; prefix a; list l { key k; leaf x { type string; } } }"));
        assertTrue(e.getMessage().contains("key 'k' of list l"), e.getMessage());
        e = assertThrows(YangException.class, () -> Models.compile(
                "module a { namespace urn:a; prefix a; list l { leaf x { type string; } } }"));
        assertTrue(e.getMessage().contains("has no key"), e.getMessage());
        e = assertThrows(YangException.class, () -> Models.compile(
                "module a { namespace urn:a; prefix a; leaf x { type int8 { range \"1..300\"; } default 400; } }"));
        assertTrue(e.getMessage().contains("default"), e.getMessage());
        e = assertThrows(YangException.class, () -> Models.compile(
                "module a { namespace urn:a; prefix a; grouping g { uses g; } container c { uses g; } }"));
        assertTrue(e.getMessage().contains("nest deeper"), e.getMessage());
        e = assertThrows(YangException.class, () -> Models.compile(
                "module a { namespace urn:a; prefix a; leaf x { type string { pattern '[a-'; } } }"));
        assertTrue(e.getMessage().contains("not a valid regular expression"), e.getMessage());
    }

    @Test
    void compilesEveryModuleTheBundleShipsIetfOnesIncluded() throws Exception {
        java.util.List<java.nio.file.Path> files;
        try (var list = java.nio.file.Files.list(Models.MAIN)) {
            files = list.filter(f -> f.toString().endsWith(".yang")).sorted().toList();
        }
        Schema s = Models.schema(files.toArray(new java.nio.file.Path[0]));
        assertNotNull(s.module("ietf-netconf-monitoring"));
        assertNotNull(s.rpc("urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring", "get-schema"));
        SchemaNode ifs = s.top("urn:ietf:params:xml:ns:yang:ietf-interfaces", "interfaces");
        assertNotNull(ifs);
        SchemaNode ip = s.top("urn:ietf:params:xml:ns:yang:ietf-interfaces", "interfaces-state");
        assertFalse(ip.config(), "interfaces-state is state data");
        SchemaNode addr = s.top("urn:ietf:params:xml:ns:yang:ietf-yang-library", "modules-state");
        assertNotNull(addr);
        var inet = s.top("urn:ietf:params:xml:ns:yang:ietf-interfaces", "interfaces").dataChild(
                "urn:ietf:params:xml:ns:yang:ietf-interfaces", "interface");
        assertEquals(List.of("name"), inet.keys());
    }

    @Test
    void augmentsAddNodesInTheAugmentingModulesNamespace() throws Exception {
        Schema s = Models.compile(
                "module a { namespace urn:a; prefix a; container c { leaf x { type string; } } }",
                "module b { namespace urn:b; prefix b; import a { prefix a; } augment /a:c { leaf y { type int32; } } }");
        SchemaNode c = s.top("urn:a", "c");
        assertNotNull(c.dataChild("urn:b", "y"));
        assertNull(c.dataChild("urn:a", "y"));
    }
}
