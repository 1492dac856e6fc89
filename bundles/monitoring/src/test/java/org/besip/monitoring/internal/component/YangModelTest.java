package org.besip.monitoring.internal.component;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class YangModelTest {

    @Test
    void besipMonitoringPassesYanglintUnchanged() throws Exception {
        Path yang = Path.of("src/main/resources/yang/besip-monitoring.yang");
        Process p = new ProcessBuilder("yanglint", yang.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        assertEquals(0, p.exitValue(), out);
        assertEquals("", out.trim(), "no warnings");
    }
}
