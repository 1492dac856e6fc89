package org.besip.runtime.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/besip-cli} against the running box over NETCONF (SSH with the admin password):
 * scripted from stdin (set, compare, commit, show, rollback, module list; a weak password refused
 * by the box, a path that does not exist refused by the CLI, each with its exit status and one
 * line), and once on a terminal (tmux: send-keys, capture-pane) with tab completion.
 */
class CliIT {

    @TempDir
    static Path work;

    static BesipProcess box;

    @BeforeAll
    static void boot() throws Exception {
        box = BesipProcess.boot(work.resolve("data"), BesipOptions.freePort());
        MonitoringIT.awaitLog(box, "SIP proxy as");
    }

    @AfterAll
    static void stop() throws Exception {
        if (box != null) {
            box.close();
        }
    }

    record Result(int status, String out, String err) {
    }

    /** bin/besip-cli with {@code args}, {@code stdin} as its commands. */
    static Result cli(String stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(BesipOptions.dist().resolve("bin/besip-cli").toString(), "--port",
                String.valueOf(box.netconfPort()), "--password-file", box.data().resolve("admin-password.txt").toString()));
        cmd.addAll(List.of(args));
        return run(new ProcessBuilder(cmd), stdin);
    }

    private static Result run(ProcessBuilder pb, String stdin) throws Exception {
        pb.redirectError(work.resolve("err.txt").toFile());
        pb.environment().put("BESIP_CLI_KNOWN_HOSTS", work.resolve("known_hosts").toString());
        Process p = pb.start();
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "besip-cli hung:\n" + out);
        return new Result(p.exitValue(), out, Files.readString(work.resolve("err.txt")));
    }

    @Test
    void aScriptSetsComparesCommitsShowsAndListsTheCommits() throws Exception {
        Result r = cli("""
                set pbx user carol password "Carol-Strong-Pass-42"
                set pbx user carol extension 142
                compare
                commit
                show running pbx user carol
                rollback
                module list
                """);
        assertEquals(0, r.status(), r.out() + r.err());
        assertEquals("", r.err());
        assertTrue(r.out().contains("+     user carol {") && r.out().contains("+         extension 142;"), "compare shows the new user:\n" + r.out());
        assertTrue(r.out().contains("commit complete"), r.out());
        assertTrue(r.out().contains("pbx {\n    user carol {\n        password \"****\";\n        extension 142;\n    }\n}\n"),
                "show: the user as text, its password masked:\n" + r.out());
        assertTrue(r.out().matches("(?s).*\\n\\s*\\d+  \\d{4}-\\d\\d-\\d\\dT[^ ]+  admin\\s+commit\\s+besip-pbx\\n.*"), "the commit listed:\n" + r.out());
        assertTrue(r.out().matches("(?s).*\\npbx\\s+\\S+\\s+ENABLED\\s*\\n.*"), "module list:\n" + r.out());
        String known = Files.readString(work.resolve("known_hosts"));
        assertTrue(known.contains("127.0.0.1") && known.contains(" AAAA"), "the box's host key was written down: " + known);

        Result running = cli("show running pbx user carol xml\n");
        assertTrue(running.out().contains("<name>carol</name>") && running.out().contains("<extension>142</extension>"), running.out());
    }

    @Test
    void aWeakPasswordIsRefusedByTheBoxAndABadPathByTheCliEachWithItsStatusAndOneLine() throws Exception {
        Result weak = cli("set pbx user dave password 1234\nset pbx user dave extension 143\ncommit\nshow running\n");
        assertEquals(1, weak.status(), weak.out() + weak.err());
        assertEquals(1, weak.err().lines().count(), "one line: " + weak.err());
        assertTrue(weak.err().startsWith("error: ") && weak.err().contains("is shorter than 10 characters") && weak.err().contains("dave"),
                weak.err());
        assertFalse(weak.out().contains("commit complete"));
        assertFalse(cli("discard\nshow running pbx\n").out().contains("dave"), "nothing was applied");

        Result bad = cli("set pbx usr x\n");
        assertEquals(2, bad.status(), bad.err());
        assertEquals("error: pbx has no 'usr': one of ", bad.err().substring(0, "error: pbx has no 'usr': one of ".length()));
        assertEquals(1, bad.err().lines().count());
        Result unknown = cli("", "--bogus");
        assertEquals(2, unknown.status());
        assertEquals("besip-cli: unknown option --bogus", unknown.err().strip());
        Result rollback = cli("rollback 999999\n");
        assertEquals(1, rollback.status());
        assertTrue(rollback.err().contains("no commit 999999 in the history"), rollback.err());
    }

    static java.net.http.HttpResponse<String> postForm(String page, String form, String origin) throws Exception {
        return box.postForm(page, form, origin);
    }

    /** bin/besip-cli with only {@code args} (no password file), {@code stdin} as its commands. */
    static Result bare(String stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(BesipOptions.dist().resolve("bin/besip-cli").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("BESIP_PASSWORD");
        pb.environment().put("BESIP_DATA", work.resolve("no-data-here").toString());
        return run(pb, stdin);
    }

    static String sha256(Path f) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
    }

    @Test
    void aFileOrAnArgumentOfCommandsDeletesShowsTheCandidateAndConfirmsATrialCommit() throws Exception {
        Result trial = cli("", "-c", "set system hostname trial-a; show candidate system; commit confirmed 60; confirm; show running system");
        assertEquals(0, trial.status(), trial.out() + trial.err());
        assertTrue(trial.out().contains("hostname trial-a;") && trial.out().contains("rolled back in 60 s unless confirmed")
                && trial.out().contains("confirmed\n"), trial.out());
        Result unconfirmed = cli("", "-c", "set system hostname trial-b; commit confirmed 60; show running system");
        assertTrue(unconfirmed.out().contains("hostname trial-b;"), unconfirmed.out());
        // the confirmed commit belonged to that session, which ended unconfirmed: the box went back (RFC 6241 §8.4)
        String after = "";
        for (int i = 0; i < 10 && !after.contains("hostname trial-a;"); i++) {
            after = cli("show running system\n").out();
        }
        assertTrue(after.contains("hostname trial-a;"), after);

        Path script = work.resolve("commands.txt");
        Files.writeString(script, "set system hostname to-delete\ncommit\ndelete system hostname\nshow candidate system\ncompare\ncommit\n");
        Result deleted = cli("", "-f", script.toString());
        assertEquals(0, deleted.status(), deleted.out() + deleted.err());
        assertTrue(deleted.out().contains("-     hostname to-delete;"), "compare shows the deletion:\n" + deleted.out());
        assertFalse(cli("show running system\n").out().contains("to-delete"), "deleted from running");
        Result missing = cli("", "-f", work.resolve("no-such-file").toString());
        assertEquals(2, missing.status());
        assertEquals("besip-cli: cannot read the commands file " + work.resolve("no-such-file"), missing.err().strip());
    }

    @Test
    void withAKeyOverHostTheCliListsInstallsDisablesEnablesUpgradesAndRemovesAModule() throws Exception {
        Path key = NetconfIT.keygen(work.resolve("id_cli"));
        String port = String.valueOf(box.netconfPort());
        Result refused = bare("module list\n", "--host", "127.0.0.1", "--port", port, "--key", key.toString());
        assertEquals(1, refused.status(), "a key the box does not know is refused: " + refused.out() + refused.err());
        assertEquals(1, refused.err().lines().count(), refused.err());
        Files.writeString(box.data().resolve("netconf/authorized_keys"), Files.readString(Path.of(key + ".pub")));

        Path files = box.data().resolve("netconf/files");
        Path v1 = FixtureBundles.module(work.resolve("fx"), "zeta", "1.0.0");
        Path v2 = FixtureBundles.module(work.resolve("fx"), "zeta", "1.1.0");
        Files.copy(v1, files.resolve("zeta-1.0.0.jar"));
        Files.copy(v2, files.resolve("zeta-1.1.0.jar"));
        String[] login = { "--host", "127.0.0.1", "--port", port, "--key", key.toString() };
        Result r = bare("module install zeta file:///zeta-1.0.0.jar " + sha256(v1) + "\nmodule list\nmodule disable zeta\nmodule list\n"
                + "module enable zeta\nmodule upgrade zeta file:///zeta-1.1.0.jar " + sha256(v2) + "\nmodule list\n", login);
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("zeta 1.0.0\n"), r.out());
        List<String> zeta = r.out().lines().filter(l -> l.startsWith("zeta ") && l.contains("ED")).toList();
        assertEquals(3, zeta.size(), r.out());
        assertTrue(zeta.get(0).strip().matches("zeta\\s+1\\.0\\.0\\s+ENABLED"), zeta.get(0));
        assertTrue(zeta.get(1).strip().matches("zeta\\s+1\\.0\\.0\\s+DISABLED"), zeta.get(1));
        assertTrue(zeta.get(2).strip().matches("zeta\\s+1\\.1\\.0\\s+ENABLED"), "upgraded and enabled again: " + zeta.get(2));
        assertTrue(r.out().contains("zeta disabled\n") && r.out().contains("zeta enabled\n") && r.out().contains("zeta 1.1.0\n"), r.out());
        String listed = box.get("besip-modules.json", "admin", box.password()).body();
        assertTrue(listed.matches("(?s).*\"name\":\"zeta\",\"version\":\"1.1.0\",\"state\":\"ENABLED\".*"), "the box agrees: " + listed);

        Result wrongSum = bare("module install zeta2 file:///zeta-1.0.0.jar " + "0".repeat(64) + "\n", login);
        assertEquals(1, wrongSum.status(), wrongSum.out());
        assertEquals(1, wrongSum.err().lines().count(), wrongSum.err());
        assertTrue(wrongSum.err().startsWith("error: "), wrongSum.err());
        Result usage = bare("module install zeta\n", login);
        assertEquals(2, usage.status());
        assertEquals("error: module install NAME URL SHA256", usage.err().strip());

        Result removed = bare("module remove zeta\nmodule list\n", login);
        assertEquals(0, removed.status(), removed.out() + removed.err());
        assertTrue(removed.out().contains("zeta removed\n") && removed.out().lines().noneMatch(l -> l.startsWith("zeta ") && l.contains("ED")),
                removed.out());
    }

    @Test
    void theConsolesHistoryPageListsTheCommitsAndRestoresOne() throws Exception {
        assertEquals(0, cli("set system hostname before-restore\ncommit\nset system hostname after-restore\ncommit\n").status());
        String list = cli("rollback\n").out();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\s*(\\d+)  \\S+  admin\\s+commit\\s+besip-system$").matcher(list);
        List<String> ids = new ArrayList<>();
        while (m.find()) {
            ids.add(m.group(1));
        }
        assertTrue(ids.size() >= 2, list);
        String before = ids.get(1); // newest first: the commit with hostname before-restore
        var page = box.get("besip-history", "admin", box.password());
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("Configuration history") && page.body().contains("<td class='id'>" + before + "</td>")
                && page.body().contains("name='id' value='" + before + "'"), "the commit with a Restore button:\n" + page.body());
        String origin = "http://127.0.0.1:" + box.port();
        assertEquals(403, postForm("besip-history", "action=rollback&id=" + before, "http://evil.example").statusCode(), "another site's form");
        assertEquals(400, postForm("besip-history", "action=rollback&id=x", origin).statusCode());
        var r = postForm("besip-history", "action=rollback&id=" + before, origin);
        assertEquals(302, r.statusCode(), r.body());
        assertTrue(cli("show running system\n").out().contains("hostname before-restore;"), "running is that commit again");
        assertTrue(cli("rollback\n").out().contains("admin (web console)"), "the restore is a commit, by the console's user");
        var missing = postForm("besip-history", "action=rollback&id=999999", origin);
        assertEquals(302, missing.statusCode());
        assertTrue(missing.headers().firstValue("Location").orElse("").contains("error="), missing.headers().map().toString());
    }

    @Test
    void onATerminalTabCompletesPathsFromTheSchemaAndCommandsRun() throws Exception {
        String session = "besipcli" + ProcessHandle.current().pid();
        String command = BesipOptions.dist().resolve("bin/besip-cli") + " --port " + box.netconfPort() + " --password-file "
                + box.data().resolve("admin-password.txt");
        tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "40", "env", "BESIP_CLI_KNOWN_HOSTS=" + work.resolve("known_hosts2"),
                "HOME=" + work, "sh", "-c", command);
        try {
            await(session, "besip#");
            tmux("send-keys", "-t", session, "set pbx us", "Tab");
            await(session, "set pbx user");
            tmux("send-keys", "-t", session, "erin ext", "Tab");
            await(session, "set pbx user erin extension");
            tmux("send-keys", "-t", session, "C-u", "show running sys", "Tab");
            await(session, "show running system");
            tmux("send-keys", "-t", session, "C-u", "help", "Enter");
            await(session, "commit [confirmed [SECONDS]]"); // a command ran, and the session goes on
            tmux("send-keys", "-t", session, "set pbx mode", "Space", "Tab", "Tab");
            String screen = await(session, "b2bua");
            assertTrue(screen.contains("proxy"), "both modes offered:\n" + screen);
            tmux("send-keys", "-t", session, "C-u", "exit", "Enter");
        } finally {
            new ProcessBuilder("tmux", "kill-session", "-t", session).start().waitFor(10, TimeUnit.SECONDS);
        }
    }

    static void tmux(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tmux"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "tmux " + String.join(" ", args) + ": " + out);
    }

    /** The pane's text once it shows {@code text} (20 s at the most; capture-pane drops the blanks at the ends of lines). */
    static String await(String session, String text) throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        String screen = "";
        while (System.currentTimeMillis() < deadline) {
            Process p = new ProcessBuilder("tmux", "capture-pane", "-p", "-t", session).redirectErrorStream(true).start();
            screen = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(5, TimeUnit.SECONDS);
            if (screen.contains(text)) {
                return screen;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the terminal never showed '" + text + "':\n" + screen);
    }
}
