package org.besip.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Every YANG file a bundle ships ({@code bundles/<module>/src/main/resources/yang/*.yang}) passes
 * yanglint (libyang, Debian libyang2-tools) unchanged: no error, no warning (design §4).
 */
class ShippedYangTest {

    @Test
    void everyShippedYangFilePassesYanglintWithoutAWarning() throws Exception {
        List<Path> dirs = new ArrayList<>();
        try (Stream<Path> bundles = Files.list(Path.of("../bundles"))) {
            for (Path b : bundles.sorted().toList()) {
                Path yang = b.resolve("src/main/resources/yang");
                if (Files.isDirectory(yang)) {
                    dirs.add(yang);
                }
            }
        }
        List<Path> files = new ArrayList<>();
        for (Path d : dirs) {
            try (Stream<Path> f = Files.list(d)) {
                f.filter(p -> p.toString().endsWith(".yang")).sorted().forEach(files::add);
            }
        }
        List<String> names = files.stream().map(p -> p.getFileName().toString()).toList();
        for (String module : List.of("besip-system.yang", "besip-pbx.yang", "besip-security.yang", "besip-monitoring.yang")) {
            assertTrue(names.contains(module), module + " is among the files checked: " + names);
        }
        for (Path f : files) {
            List<String> cmd = new ArrayList<>(List.of("yanglint"));
            for (Path d : dirs) { // imports (ietf-inet-types, …) come from the netconf bundle's folder
                cmd.add("-p");
                cmd.add(d.toString());
            }
            cmd.add(f.toString());
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "yanglint hung on " + f);
            assertEquals(0, p.exitValue(), f + ": " + out);
            assertEquals("", out.trim(), f + " has yanglint warnings");
        }
    }
}
