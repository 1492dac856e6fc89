package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The init scripts the distribution ships (init/): the systemd unit passes the real
 * {@code systemd-analyze verify}, the OpenWrt and SysV scripts and besip-wait-ready pass the real
 * {@code shellcheck} (Debian packages the test command installs), and the SysV script runs the box:
 * start returns once the console answers, status and stop say what they did, a box that cannot
 * start makes start fail instead of hanging.
 */
class InitScriptsIT {

    @TempDir
    Path work;

    record Run(int exit, String out) {
    }

    static Run run(Map<String, String> env, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), String.join(" ", command) + " hung");
        return new Run(p.exitValue(), out);
    }

    @Test
    void theSystemdUnitVerifiesAndTheShellScriptsPassShellcheck() throws Exception {
        Path dist = BesipOptions.dist();
        // the unit names /opt/besip; verified against this distribution, whose commands exist
        Path unit = work.resolve("besip.service");
        Files.writeString(unit, Files.readString(dist.resolve("init/systemd/besip.service")).replace("/opt/besip", dist.toString()));
        Run verify = run(Map.of(), "systemd-analyze", "verify", unit.toString());
        assertEquals(0, verify.exit(), verify.out());
        assertFalse(verify.out().contains("besip.service"), "no warning about the unit:\n" + verify.out());
        for (String script : List.of("init/sysv/besip", "init/openwrt/besip", "bin/besip-wait-ready", "bin/besip")) {
            Run check = run(Map.of(), "shellcheck", "-s", "sh", dist.resolve(script).toString());
            assertEquals(0, check.exit(), script + ":\n" + check.out());
        }
    }

    @Test
    void theSysvScriptStartsWaitsForTheBoxReportsAndStopsIt() throws Exception {
        Path dist = BesipOptions.dist();
        Path data = work.resolve("data");
        int http = BesipOptions.freePort();
        String opts = "-Dbesip.http.host=127.0.0.1 -Dbesip.http.port=" + http + " -Dbesip.netconf.host=127.0.0.1 -Dbesip.netconf.port="
                + BesipOptions.freePort() + " -Dbesip.sip.host=127.0.0.1 -Dbesip.sip.port=" + BesipProcess.freeUdpAndTcpPort();
        Map<String, String> env = Map.of("BESIP_HOME", dist.toString(), "BESIP_DATA", data.toString(), "BESIP_OPTS", opts,
                "BESIP_USER", "no-such-user-besip");
        String script = dist.resolve("init/sysv/besip").toString();
        List<Long> pids = new ArrayList<>();
        try {
            Run start = run(env, script, "start");
            assertEquals(0, start.exit(), start.out());
            long pid = Long.parseLong(Files.readString(data.resolve("besip.pid")).trim());
            pids.add(pid);
            assertTrue(start.out().contains("besip started (pid " + pid + ")"), start.out());
            // start returned once the box serves: the console answers now, without waiting
            String auth = Base64.getEncoder().encodeToString(("admin:" + Files.readString(data.resolve("admin-password.txt")).trim())
                    .getBytes(StandardCharsets.UTF_8));
            HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http
                    + "/system/console/bundles")).header("Authorization", "Basic " + auth).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, page.statusCode());
            assertEquals(String.valueOf(pid), Files.readString(data.resolve("besip.ready")).trim(), "the box wrote its pid when up");

            assertEquals(0, run(env, script, "status").exit());
            Run again = run(env, script, "start");
            assertEquals(0, again.exit());
            assertTrue(again.out().contains("besip is running (pid " + pid + ")"), again.out());

            Run stop = run(env, script, "stop");
            assertEquals(0, stop.exit(), stop.out());
            assertTrue(stop.out().contains("besip stopped"), stop.out());
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the box is gone");
            assertFalse(Files.exists(data.resolve("besip.ready")), "and so is its ready file");
            assertEquals(3, run(env, script, "status").exit(), "status of a stopped box: 3");

            // a box that cannot start (a port that is not one): start fails, it does not wait the full two minutes
            Map<String, String> bad = new java.util.HashMap<>(env);
            bad.put("BESIP_OPTS", opts + " -Dbesip.http.port=99999");
            long t0 = System.nanoTime();
            Run failed = run(bad, script, "start");
            assertEquals(1, failed.exit(), failed.out());
            assertTrue(failed.out().contains("exited before it was up"), failed.out());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(100), "failed well before the 120 s limit");
            assertTrue(Files.readString(data.resolve("console.log")).contains("besip: cannot start"), "the reason is in the console log");
        } finally {
            for (long pid : pids) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
            }
        }
    }
}
