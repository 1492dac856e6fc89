package org.besip.security.internal.component;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** The figures the module runs with before its first configuration are besip-security.yang's defaults. */
class SecuritySettingsTest {

    static final String YANG;
    static {
        try {
            YANG = Files.readString(Path.of("src/main/resources/yang/besip-security.yang"));
        } catch (java.io.IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The default of the first leaf {@code leaf} after {@code after} in the YANG text. */
    static String yangDefault(String after, String leaf) {
        int from = YANG.indexOf(after);
        Matcher m = Pattern.compile("leaf " + Pattern.quote(leaf) + " \\{.*?default \"([^\"]*)\"", Pattern.DOTALL).matcher(YANG);
        if (from < 0 || !m.find(from)) {
            throw new AssertionError("no default of " + leaf + " after " + after);
        }
        return m.group(1);
    }

    @Test
    void beforeItsFirstConfigurationTheModuleRunsWithTheYangDefaults() {
        SecuritySettings.Settings u = SecuritySettings.UNCONFIGURED;
        assertEquals(yangDefault("container soft-faults", "enabled"), String.valueOf(u.soft().enabled()));
        assertEquals(yangDefault("container soft-faults", "failures"), String.valueOf(u.soft().failures()));
        assertEquals(yangDefault("container soft-faults", "window"), String.valueOf(u.soft().windowS()));
        assertEquals(yangDefault("container soft-faults", "block-duration"), String.valueOf(u.soft().blockS()));
        assertEquals(yangDefault("container security", "firewall"), u.firewall());
        assertEquals(yangDefault("container security", "alert-retention"), String.valueOf(u.retentionDays()));
        assertEquals(yangDefault("container capture", "filter"), u.captureFilter());
        assertEquals(yangDefault("container email", "enabled"), String.valueOf(u.email().enabled()));
    }
}
