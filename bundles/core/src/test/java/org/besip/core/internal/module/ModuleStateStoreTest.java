package org.besip.core.internal.module;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.besip.core.internal.module.InstalledModule.InstalledBundle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModuleStateStoreTest {

    @TempDir
    Path dir;

    private ModuleStateStore store() {
        return new ModuleStateStore(dir.resolve("modules/state.json"), new org.apache.johnzon.core.JsonProviderImpl());
    }

    @Test
    void theModuleListSurvivesARoundTrip() throws Exception {
        Map<String, InstalledModule> m = new LinkedHashMap<>();
        m.put("pbx", new InstalledModule("pbx", "feature", true, List.of(),
                List.of(new InstalledBundle("org.besip.pbx", "1.0.0", "/x/pbx.jar", 1))));
        m.put("alpha", new InstalledModule("alpha", "upload", false, List.of("pbx"),
                List.of(new InstalledBundle("alpha", "2.0.0", "/d/alpha.jar", 2))));
        var s = store();
        assertFalse(s.exists());
        s.save(m);
        assertTrue(s.exists());
        assertEquals(m, s.load());
        assertFalse(Files.exists(dir.resolve("modules/state.json.tmp")), "no temp file left behind");
    }

    @Test
    void aDamagedListIsReportedNotSilentlyEmptied() throws Exception {
        Files.createDirectories(dir.resolve("modules"));
        Files.writeString(dir.resolve("modules/state.json"), "{\"modules\": {\"x\": 3}}");
        IOException e = assertThrows(IOException.class, () -> store().load());
        assertTrue(e.getMessage().contains("damaged"));
    }
}
