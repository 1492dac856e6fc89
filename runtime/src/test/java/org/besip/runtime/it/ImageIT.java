package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The self-contained image ({@code besip-image-<arch>.tar.gz}, made by {@code ./mvnw package}):
 * unpacked and booted with no Java to be found (PATH holds nothing but {@code dirname}, {@code mkdir} and {@code rm}, no
 * JAVA_HOME, no BESIP_JAVA), it runs on its own jlinked runtime, answers the Web Console and
 * NETCONF, registers a phone, and captures on lo with its trimmed native libraries.
 */
class ImageIT {

    @TempDir
    Path work;

    @Test
    void theImageBootsWithoutASystemJavaAndDoesTheBoxesWork() throws Exception {
        Path tar;
        try (var files = Files.list(Path.of(System.getProperty("besip.image.dir", "target")))) {
            tar = files.filter(f -> f.getFileName().toString().matches("besip-image-.+\\.tar\\.gz")).findFirst().orElseThrow();
        }
        Process untar = new ProcessBuilder("tar", "-xzf", tar.toString(), "-C", work.toString()).inheritIO().start();
        assertTrue(untar.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, untar.exitValue());
        Path image;
        try (var dirs = Files.list(work)) {
            image = dirs.filter(d -> d.getFileName().toString().startsWith("besip-image-")).findFirst().orElseThrow();
        }
        assertTrue(Files.isExecutable(image.resolve("runtime/bin/java")), "the image carries its runtime");
        Path bin = Files.createDirectories(work.resolve("no-java-bin"));
        for (String tool : List.of("dirname", "mkdir", "rm")) { // what bin/besip calls besides the shell's own
            Files.createSymbolicLink(bin.resolve(tool), Path.of("/usr/bin/" + tool));
        }
        List<String> noJava = List.of("/usr/bin/env", "-u", "JAVA_HOME", "-u", "BESIP_JAVA", "PATH=" + bin, "/usr/bin/setsid", "-w",
                "/bin/sh", image.resolve("bin/besip").toString());
        BesipProcess box = BesipProcess.start(work.resolve("data"), BesipOptions.freePort(), Map.of(), noJava);
        try (box) {
            box.awaitOutput("besip: ready in ");
            String jvm = ProcessHandle.allProcesses().map(ph -> ph.info().command().orElse(""))
                    .filter(c -> c.startsWith(image.toString())).findFirst().orElse("none");
            assertEquals(image.resolve("runtime/bin/java").toString(), jvm, "the box runs on the image's own Java");
            assertTrue(Files.size(box.data().resolve("jdk.jsa")) > 1_000_000, "the first boot made its class-data archive in the data directory");
            assertEquals(200, box.get("bundles", "admin", box.password()).statusCode());
            NetconfIT.pbxUsers(box, work, 2);
            MonitoringIT.awaitLog(box, "SIP over UDP on /127.0.0.1:" + box.sipPort());
            PbxIT.sipp(work, box, 2, "u1", 0);
            int zabbixPort = BesipOptions.freePort();
            assertEquals(200, box.post("action=enable&module=monitoring", null, null, Map.of()).statusCode());
            NetconfIT.runOn(box, "configure_monitoring", "true", "lo", String.valueOf(zabbixPort));
            MonitoringIT.awaitLog(box, "monitoring is running on [lo]");
        }
    }
}
