package org.besip.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LaunchConfigTest {

    @TempDir
    Path home;

    private Properties system;

    @BeforeEach
    void install() throws Exception {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/besip.properties"), "besip.http.port=8080\nfelix.fileinstall.poll=2000\n");
        system = new Properties();
        system.setProperty("besip.home", home.toString());
    }

    @Test
    void defaultsKeepDataAndLogsInsideTheInstall() throws Exception {
        LaunchConfig c = LaunchConfig.load(Map.of(), system);
        assertEquals(home.resolve("data"), c.data());
        assertEquals(home.resolve("logs"), c.logs());
        assertEquals(8080, c.httpPort());
        assertEquals("0.0.0.0", c.httpHost());
        assertEquals("127.0.0.1", c.localHttpHost());
        assertEquals("2000", c.properties().get("felix.fileinstall.poll"));
    }

    @Test
    void besipDataMovesAllWritableStateLogsIncluded() throws Exception {
        LaunchConfig c = LaunchConfig.load(Map.of("BESIP_DATA", "/overlay/besip"), system);
        assertEquals(Path.of("/overlay/besip"), c.data());
        assertEquals(Path.of("/overlay/besip/logs"), c.logs());
    }

    @Test
    void systemPropertiesOverrideTheFile() throws Exception {
        system.setProperty("besip.http.port", "18080");
        system.setProperty("java.version", "ignored: not a besip, felix or OSGi key");
        LaunchConfig c = LaunchConfig.load(Map.of(), system);
        assertEquals(18080, c.httpPort());
        assertTrue(!c.properties().containsKey("java.version"));
    }

    @Test
    void aPortThatIsNotAPortIsAConfigurationError() throws Exception {
        for (String bad : new String[] { "eighty", "0", "65536", "-1", "" }) {
            system.setProperty("besip.http.port", bad);
            StartupException e = assertThrows(StartupException.class, () -> LaunchConfig.load(Map.of(), system), bad);
            assertEquals(StartupException.CONFIG, e.exitCode());
            assertTrue(e.getMessage().contains("is not a port number"), e.getMessage());
        }
    }

    @Test
    void aMissingConfigurationFileIsAConfigurationError() {
        StartupException e = assertThrows(StartupException.class,
                () -> LaunchConfig.load(Map.of("BESIP_CONF", home.resolve("nope").toString()), system));
        assertEquals(StartupException.CONFIG, e.exitCode());
        assertTrue(e.getMessage().endsWith("(no such file)"), e.getMessage());
    }

    @Test
    void aMalformedConfigurationFileIsAConfigurationError() throws Exception {
        Files.writeString(home.resolve("conf/besip.properties"), "besip.http.host=\\u12\n");
        StartupException e = assertThrows(StartupException.class, () -> LaunchConfig.load(Map.of(), system));
        assertEquals(StartupException.CONFIG, e.exitCode());
    }
}
