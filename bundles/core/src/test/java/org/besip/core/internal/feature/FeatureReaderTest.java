package org.besip.core.internal.feature;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;

import org.junit.jupiter.api.Test;

class FeatureReaderTest {

    private final FeatureReader reader = FeatureReader.johnzon();

    private Feature read(String json) throws FeatureException {
        return reader.read(new StringReader(json), "pbx.json");
    }

    @Test
    void readsBundlesStartOrderModuleExtensionAndConfigurations() throws Exception {
        Feature f = read("""
                { "id": "org.besip:besip-pbx:1.2.0",
                  "title": "PBX",
                  "besip-module:JSON|optional": { "name": "pbx", "enabled": false, "requires": ["security"] },
                  "bundles": [ "org.besip:besip-pbx:1.2.0",
                               { "id": "org.example:lib:2.0", "start-order": "3" } ],
                  "configurations": { "org.besip.pbx": { "port": 5060, "ratio": 0.5, "name": "x",
                                                          "on": true, "hosts": ["a", "b"] } } }
                """);
        assertEquals("pbx", f.module());
        assertEquals("1.2.0", f.version());
        assertFalse(f.enabled());
        assertFalse(f.required());
        assertEquals(java.util.List.of("security"), f.requires());
        assertEquals(2, f.bundles().size());
        assertEquals(1, f.bundles().get(0).startOrder());
        assertEquals(3, f.bundles().get(1).startOrder());
        assertEquals("lib-2.0.jar", f.bundles().get(1).fileName());
        var cfg = f.configurations().get("org.besip.pbx");
        assertEquals(5060L, cfg.get("port"));
        assertEquals(0.5, cfg.get("ratio"));
        assertEquals(Boolean.TRUE, cfg.get("on"));
        assertArrayEquals(new String[] { "a", "b" }, (String[]) cfg.get("hosts"));
    }

    @Test
    void moduleNameDefaultsToTheArtifactAndEnabledToTrue() throws Exception {
        Feature f = read("{\"id\":\"g:monitoring:1\",\"bundles\":[\"g:monitoring:1\"]}");
        assertEquals("monitoring", f.module());
        assertTrue(f.enabled());
    }

    @Test
    void invalidJsonIsReportedWithFileLineAndColumn() {
        var e = assertThrows(FeatureException.class, () -> read("{\n  \"id\": \"g:a:1\",\n  \"bundles\": [ oops ]\n}"));
        assertTrue(e.getMessage().startsWith("pbx.json:3:"), e.getMessage());
    }

    @Test
    void badCoordinatesAreRefusedWithWhere() {
        var e = assertThrows(FeatureException.class, () -> read("{\"id\":\"g:a:1\",\"bundles\":[\"nocolons\"]}"));
        assertEquals("pbx.json: bundles[0]: id \"nocolons\" is not group:artifact:version", e.getMessage());
    }

    @Test
    void aFeatureWithoutBundlesIsRefused() {
        var e = assertThrows(FeatureException.class, () -> read("{\"id\":\"g:a:1\"}"));
        assertTrue(e.getMessage().contains("at least one bundle"));
    }

    @Test
    void moduleNamesAreRestrictedToWhatAFileNameAndUrlCanCarry() {
        var e = assertThrows(FeatureException.class, () -> read(
                "{\"id\":\"g:a:1\",\"besip-module:JSON|optional\":{\"name\":\"../x\"},\"bundles\":[\"g:a:1\"]}"));
        assertTrue(e.getMessage().contains("module name \"../x\""));
    }

    @Test
    void startOrderOutsideTheRangeIsRefused() {
        assertThrows(FeatureException.class, () -> read(
                "{\"id\":\"g:a:1\",\"bundles\":[{\"id\":\"g:a:1\",\"start-order\":0}]}"));
    }
}
