package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A real NETCONF client, ncclient (Debian python3-ncclient, installed by the test command), against
 * the booted distribution: {@code src/test/python/netconf_interop.py} holds one check per case.
 */
class NetconfIT {

    static final Path PYTHON = Path.of("/usr/bin/python3");
    static final Path SCRIPT = Path.of("src/test/python/netconf_interop.py");
    private static BesipProcess box;
    private static Path work;

    @BeforeAll
    static void boot() throws Exception {
        work = Files.createTempDirectory("besip-netconf-it");
        box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort(), OPTS);
    }

    /** Small limits so that the bad-input checks run fast. */
    static final String[] OPTS = { "-Dbesip.netconf.max-message-kib=64", "-Dbesip.netconf.idle-timeout-s=3" };

    @AfterAll
    static void stop() throws Exception {
        if (box != null) {
            box.close();
        }
    }

    /** The password the tests give PBX users: strong enough for the box's password policy. */
    static final String USER_PASSWORD = "Sup3r-secret-pw";

    /**
     * Configures PBX users user0..user{n-1} (extensions 100.., {@link #USER_PASSWORD}) on {@code box}
     * over NETCONF and writes sipp's injection file for them ({@code dir/users.csv}); returns it.
     */
    static Path pbxUsers(BesipProcess box, Path dir, int n) throws Exception {
        runOn(box, "configure_pbx_users", String.valueOf(n), USER_PASSWORD);
        StringBuilder csv = new StringBuilder("SEQUENTIAL\n");
        for (int i = 0; i < n; i++) {
            csv.append("user").append(i).append(";[authentication username=user").append(i).append(" password=").append(USER_PASSWORD)
                    .append("]\n");
        }
        Path f = dir.resolve("users.csv");
        java.nio.file.Files.writeString(f, csv);
        return f;
    }

    /** An ECDSA P-256 key pair made by OpenSSH's ssh-keygen at {@code key} (and {@code key}.pub), no passphrase. */
    static Path keygen(Path key) throws Exception {
        Process kg = new ProcessBuilder("ssh-keygen", "-q", "-t", "ecdsa", "-b", "256", "-N", "", "-f", key.toString())
                .redirectErrorStream(true).start();
        assertEquals(0, kg.waitFor(), new String(kg.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        return key;
    }

    static String run(String check, String... args) throws Exception {
        return runOn(box, check, args);
    }

    /** Runs one check of {@code netconf_interop.py} against {@code target}; fails the test if it fails. */
    static String runOn(BesipProcess target, String check, String... args) throws Exception {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(PYTHON.toString(), SCRIPT.toString(),
                "127.0.0.1", String.valueOf(target.netconfPort()), target.password(), check));
        cmd.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(check + " hung:\n" + out + target.diagnostics());
        }
        if (p.exitValue() != 0) { // with what the box was doing: a NETCONF reply that never came needs its threads to explain
            throw new AssertionError(check + " failed (exit " + p.exitValue() + "):\n" + out + target.diagnostics());
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = { "candidate_commit", "invalid_edit_is_refused", "locks_between_sessions",
            "kill_session_frees_the_lock", "confirmed_commit_rolls_back", "notification_on_change",
            "end_of_message_framing", "hello_in_chunked_framing", "ncclient_sessions_never_stall", "malformed_xml_gets_an_error",
            "monitoring_and_get_schema",
            "xxe_is_refused",
            "wrong_namespace_is_an_unknown_element", "oversize_message_is_refused_too_big",
            "stalled_half_frame_releases_its_lock", "rollback_history" })
    void ncclientCheck(String check) throws Exception {
        assertTrue(Files.isExecutable(PYTHON), "needs Debian's python3 with python3-ncclient: run the README's test command");
        assertTrue(run(check).contains("ok: "));
    }

    @Test
    void aWrongPasswordIsRefusedAndReportedWithItsSource() throws Exception {
        run("wrong_password_is_refused");
        String log = Files.readString(box.data().resolve("logs/besip.log"));
        assertTrue(log.contains("NETCONF login failed for 'admin' from 127.0.0.1"), log);
    }

    @Test
    void modulesAreInstalledByRpcAndDisabledByConfiguration() throws Exception {
        Path jar = FixtureBundles.module(work.resolve("fx"), "omicron", "1.0.0");
        Path files = box.data().resolve("netconf/files");
        Files.copy(jar, files.resolve("omicron.jar"));
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(jar)));
        run("install_module_rpc", "omicron", "file:///omicron.jar", sha);
        String list = box.get("besip-modules.json", "admin", box.password()).body();
        assertTrue(list.matches("(?s).*\"name\":\"omicron\",\"version\":\"1.0.0\",\"state\":\"ENABLED\".*"), list);
        run("disable_module_by_config", "omicron");
        list = box.get("besip-modules.json", "admin", box.password()).body();
        assertTrue(list.matches("(?s).*\"name\":\"omicron\",\"version\":\"1.0.0\",\"state\":\"DISABLED\".*"), list);
    }

    @Test
    void aModuleGetsItsConfigurationWhenItArrivesAndKeepsItWhenItLeaves() throws Exception {
        Path fx = work.resolve("fx");
        var r = box.postJar("action=install", FixtureBundles.configurable(fx, "kappa", "1.0.0"));
        assertEquals(200, r.statusCode(), r.body());
        Path applied = box.data().resolve("applied-fixture-kappa.xml");
        run("configure_fixture", "urn:besip:it:kappa", "hi", "ok");
        assertTrue(Files.readString(applied).contains(">hi<"), "the module's applier received its configuration");
        run("configure_fixture", "urn:besip:it:kappa", "refuse", "refused");
        assertTrue(Files.readString(applied).contains(">hi<"), "a refused configuration is not applied");

        assertEquals(200, box.post("action=remove&module=kappa", null, null, java.util.Map.of()).statusCode());
        run("running_holds", "<greeting>hi</greeting>");
        Files.delete(applied);
        r = box.postJar("action=install", FixtureBundles.configurable(fx, "kappa", "1.0.0"));
        assertEquals(200, r.statusCode(), r.body());
        long deadline = System.currentTimeMillis() + 20_000;
        while (!Files.exists(applied) && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(Files.readString(applied).contains(">hi<"), "re-installed, the module got its kept configuration");
    }

    @Test
    void anExportedConfigurationIsImportedOnAFreshBox() throws Exception {
        Path file = work.resolve("export.xml");
        BesipProcess shared = box;
        try (BesipProcess source = BesipProcess.boot(work.resolve("source-data"), BesipOptions.freePort(), OPTS)) {
            box = source;
            run("export", file.toString());
        }
        try (BesipProcess fresh = BesipProcess.boot(work.resolve("fresh-data"), BesipOptions.freePort(), OPTS)) {
            box = fresh;
            Files.writeString(fresh.data().resolve("netconf/files/backup.xml"),
                    "<config xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">" + Files.readString(file) + "</config>");
            run("import", "file:///backup.xml");
        } finally {
            box = shared;
        }
    }

    @Test
    void yangcliRunsAScriptOfGetConfigAndEditConfig() throws Exception {
        Path yangcli = Path.of("/usr/bin/yangcli");
        assertTrue(Files.isExecutable(yangcli), "needs Debian's yangcli: run the README's test command");
        Process p = new ProcessBuilder(yangcli.toString(), "--server=127.0.0.1", "--ncport=" + box.netconfPort(),
                "--user=admin", "--password=" + box.password(), "--batch-mode",
                "--run-script=" + Path.of("src/test/resources/yangcli/edit-and-read.script").toAbsolutePath())
                .directory(work.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.matches("(?s).*RPC OK Reply \\d+ .*RPC OK Reply \\d+ .*"), "edit-config and commit answered ok:\n" + out);
        assertTrue(out.matches("(?s).*hostname yangcli-box.*"), "the value reads back:\n" + out);
    }

    @Test
    void administratorsAndTheirKeysComeFromBesipSystem() throws Exception {
        Path key = keygen(work.resolve("id_ecdsa"));
        String[] pub = Files.readString(Path.of(key + ".pub")).trim().split("\\s+");
        run("configured_user_and_key", pub[0], pub[1], key.toString(), "op-secret-1");
    }

    @Test
    void besipEventsArriveAsNotifications() throws Exception {
        var r = box.postJar("action=install", FixtureBundles.module(work.resolve("fx"), "mu", "1.0.0"));
        assertEquals(200, r.statusCode(), r.body());
        run("besip_event_notification", "mu");
    }

    @Test
    void theRunningConfigurationSurvivesARestart() throws Exception {
        run("candidate_commit", "before-restart");
        box.close();
        box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort(), OPTS);
        String running = Files.readString(box.data().resolve("netconf/running.xml"));
        assertTrue(running.contains("before-restart"), running);
        run("candidate_commit", "after-restart");
    }
}
