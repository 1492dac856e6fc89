package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.besip.core.internal.feature.FeatureBundle;
import org.besip.core.internal.feature.FeatureReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution as an operator runs it: {@code bin/besip} headless, the Modules JSON API over
 * HTTP for remote deployment, the module list across a restart, and the one-line refusals.
 */
class DistributionIT {

    @TempDir
    Path work;

    @Test
    void theDistributionHoldsExactlyTheBundlesItsFeaturesList() throws Exception {
        Path dist = BesipOptions.dist();
        Set<String> listed = new TreeSet<>();
        try (Stream<Path> features = Files.list(dist.resolve("features"))) {
            for (Path f : features.filter(p -> p.toString().endsWith(".json")).toList()) {
                FeatureReader.johnzon().read(f).bundles().stream().map(FeatureBundle::fileName).forEach(listed::add);
            }
        }
        Set<String> shipped;
        try (Stream<Path> jars = Files.list(dist.resolve("bundles"))) {
            shipped = jars.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
        assertEquals(listed, shipped);
        for (String dir : List.of("bin/besip", "conf/besip.properties", "deploy", "data", "logs", "lib/besip-launcher.jar")) {
            assertTrue(Files.exists(dist.resolve(dir)), dir);
        }
        assertTrue(Files.isExecutable(dist.resolve("bin/besip")));
        assertTrue(Files.exists(dist.getParent().resolve("besip.tar.gz")));
    }

    @Test
    void bootsHeadlessPrintsThePasswordOnceAndKeepsItOutOfTheLog() throws Exception {
        Path data = work.resolve("data");
        Map<String, String> installBefore = listing(BesipOptions.dist()); // an operator may have booted it in place already
        String firstOutput;
        try (BesipProcess box = BesipProcess.boot(data, BesipOptions.freePort())) {
            firstOutput = box.output();
            String password = box.password();
            assertTrue(firstOutput.contains("password '" + password + "'"), firstOutput);
            assertEquals("rw-------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(data.resolve("admin-password.txt"))));
            String log = Files.readString(data.resolve("logs/besip.log"));
            assertTrue(log.contains("besip: ready in "), "stdout also goes to logs/");
            assertFalse(log.contains(password), "the password never reaches the log file");

            assertEquals(401, box.get("besip-modules.json", null, null).statusCode());
            assertEquals(401, box.get("besip-modules.json", "admin", "admin").statusCode(), "admin/admin never works");
            assertEquals(401, box.get("bundles", "admin", "admin").statusCode());
            var ok = box.get("besip-modules.json", "admin", password);
            assertEquals(200, ok.statusCode());
            assertTrue(ok.body().contains("\"name\":\"core\""), ok.body());
            assertTrue(ok.body().contains("\"state\":\"ENABLED\""), ok.body());
            var page = box.get("besip-modules", "admin", password);
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("besip-module-table"), "the Modules page is inside the console");
        }
        try (BesipProcess again = BesipProcess.boot(data, BesipOptions.freePort())) {
            assertFalse(again.output().contains("password '"), "the password is printed once only");
        }
        assertEquals(installBefore, listing(BesipOptions.dist()), "with BESIP_DATA set nothing is written inside the install");
    }

    /** Every file and folder below {@code dir} with its size and modification time, to compare before and after. */
    static Map<String, String> listing(Path dir) throws java.io.IOException {
        Map<String, String> out = new java.util.TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.toList()) {
                out.put(dir.relativize(p).toString(), Files.size(p) + " " + Files.getLastModifiedTime(p).toMillis());
            }
        }
        return out;
    }

    @Test
    void modulesAreDeployedRemotelyOverHttpAndSurviveARestart() throws Exception {
        Path data = work.resolve("data");
        Path fx = work.resolve("fixtures");
        try (BesipProcess box = BesipProcess.boot(data, BesipOptions.freePort())) {
            var r = box.postJar("action=install", FixtureBundles.module(fx, "alpha", "1.0.0"));
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("\"name\":\"alpha\"") && r.body().contains("\"state\":\"ENABLED\""), r.body());

            r = box.postJar("action=install", FixtureBundles.module(fx, "beta", "1.0.0"));
            assertEquals(200, r.statusCode(), r.body());

            r = box.postJar("action=upgrade&module=alpha", FixtureBundles.module(fx, "alpha", "2.0.0"));
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("\"version\":\"2.0.0\""), r.body());

            r = box.postJar("action=upgrade&module=alpha", FixtureBundles.unresolvable(fx, "alpha", "3.0.0"));
            assertEquals(422, r.statusCode(), r.body());
            assertTrue(r.body().contains("org.besip.nowhere") && r.body().contains("2.0.0 is back in place"), r.body());

            r = box.postMultipart("action=upgrade&module=beta", FixtureBundles.module(fx, "beta", "1.1.0"));
            assertEquals(200, r.statusCode(), "a multipart form upload, as curl -F sends it: " + r.body());
            assertTrue(r.body().contains("\"version\":\"1.1.0\""), r.body());

            r = box.post("action=disable&module=beta", null, null, Map.of());
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("\"state\":\"DISABLED\""), r.body());

            r = box.postJar("action=install", FixtureBundles.notABundle(fx));
            assertEquals(400, r.statusCode(), r.body());
            assertTrue(r.body().contains("not an OSGi bundle"), r.body());
            r = box.post("action=install", "garbage".getBytes(StandardCharsets.UTF_8), "application/java-archive", Map.of());
            assertEquals(400, r.statusCode(), r.body());
            assertTrue(r.body().contains("not a jar file"), r.body());
            r = box.post("action=enable&module=nosuch", null, null, Map.of());
            assertEquals(404, r.statusCode(), r.body());
            r = box.post("action=disable&module=core", null, null, Map.of());
            assertEquals(409, r.statusCode(), r.body());
            r = box.post("action=explode&module=alpha", null, null, Map.of());
            assertEquals(400, r.statusCode(), r.body());
            r = box.post("action=disable&module=alpha", null, null, Map.of("Origin", "http://evil.example"));
            assertEquals(403, r.statusCode(), "a cross-site POST is refused: " + r.body());
        }
        try (BesipProcess box = BesipProcess.boot(data, BesipOptions.freePort())) {
            String list = box.get("besip-modules.json", "admin", box.password()).body();
            assertTrue(list.matches("(?s).*\"name\":\"alpha\",\"version\":\"2.0.0\",\"state\":\"ENABLED\".*"), list);
            assertTrue(list.matches("(?s).*\"name\":\"beta\",\"version\":\"1.1.0\",\"state\":\"DISABLED\".*"), list);
            var r = box.post("action=remove&module=alpha", null, null, Map.of());
            assertEquals(200, r.statusCode(), r.body());
            assertFalse(box.get("besip-modules.json", "admin", box.password()).body().contains("\"alpha\""));
        }
    }

    @Test
    void aBusyPortStopsTheStartWithOneLineAndStatus3() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            BesipProcess box = BesipProcess.start(work.resolve("data"), taken.getLocalPort(), Map.of());
            assertEquals(3, box.awaitExit());
            assertOneLine(box.output(), "besip: cannot start: port " + taken.getLocalPort());
        }
    }

    @Test
    void anInvalidConfigurationStopsTheStartWithStatus2() throws Exception {
        Path conf = work.resolve("bad.properties");
        Files.writeString(conf, "besip.http.port=eighty\n");
        BesipProcess box = BesipProcess.start(work.resolve("data"), 0, Map.of("BESIP_CONF", conf.toString()));
        assertEquals(2, box.awaitExit());
        assertOneLine(box.output(), "besip: cannot start: " + conf + ": besip.http.port \"eighty\" is not a port number");
    }

    @Test
    void anUnreadableConfigurationStopsTheStartWithStatus2() throws Exception {
        Path missing = work.resolve("nowhere.properties");
        BesipProcess box = BesipProcess.start(work.resolve("data"), BesipOptions.freePort(), Map.of("BESIP_CONF", missing.toString()));
        assertEquals(2, box.awaitExit());
        assertOneLine(box.output(), "besip: cannot start: cannot read configuration " + missing + " (no such file)");
    }

    @Test
    void aDataDirectoryThatCannotBeWrittenStopsTheStartWithStatus3() throws Exception {
        Path file = work.resolve("a-file");
        Files.writeString(file, "x");
        BesipProcess box = BesipProcess.start(file.resolve("data"), BesipOptions.freePort(), Map.of());
        assertEquals(3, box.awaitExit());
        assertOneLine(box.output(), "besip: cannot start: data directory " + file.resolve("data") + " cannot be created");
    }

    @Test
    void besipVqmAnalysesACaptureWithoutTheRuntime() throws Exception {
        Path bin = BesipOptions.dist().resolve("bin/besip-vqm");
        Path pcap = Path.of("../bundles/monitoring/src/test/resources/pcap/wsample_Asterisk_ZFONE_XLITE.pcap").toAbsolutePath();
        Process p = new ProcessBuilder(bin.toString(), "analyze", pcap.toString(), "--json").start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), err);
        // the stream with 64% loss and a 4.7 s gap (design §5), on RFC 3550's and on tshark's count
        assertTrue(out.matches("(?s).*\"ssrc\": \"0xBEE0F2ED\", \"src\": \"192.168.10.41:64508\", \"dst\": "
                + "\"192.168.10.40:49848\", \"codec\": \"PCMU\".*\"packets\": 205, \"expected\": 574, \"lost\": 369.*"), out);
        assertTrue(out.contains("\"mos\": 1.00"), "64% loss scores the minimum: " + out);
        assertTrue(out.matches("(?s).*\"ssrc\": \"0xB72A7104\".*\"lost\": 1,.*\"mos\": 4.40.*"), out);

        Path junk = work.resolve("junk.pcap");
        Files.writeString(junk, "not a capture");
        Process bad = new ProcessBuilder(bin.toString(), "analyze", junk.toString()).redirectErrorStream(true).start();
        String badOut = new String(bad.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(3, bad.waitFor());
        assertOneLine(badOut, "besip-vqm: " + junk + ": not a pcap or pcapng capture");
        Process usage = new ProcessBuilder(bin.toString(), "analyse").redirectErrorStream(true).start();
        usage.getInputStream().readAllBytes();
        assertEquals(2, usage.waitFor());
    }

    private static void assertOneLine(String output, String start) {
        List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.size(), "one line, no stack trace:\n" + output);
        assertTrue(lines.get(0).startsWith(start), lines.get(0));
    }
}
