package org.besip.netconf.internal.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.besip.core.api.config.ConfigApplier;
import org.besip.core.api.config.ConfigRejectedException;
import org.besip.netconf.internal.datastore.Datastores;
import org.besip.netconf.internal.yang.DataTrees;
import org.besip.netconf.internal.yang.Models;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

class NetconfServerTest {

    static final String T = "urn:besip:test";
    static final String SYS = "urn:besip:params:xml:ns:yang:besip-system";

    @TempDir
    Path dir;

    private NetconfServer server;
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private final Map<String, List<ConfigApplier>> appliers = new java.util.concurrent.ConcurrentHashMap<>();
    private final FakeSession one = new FakeSession(1);
    private final FakeSession two = new FakeSession(2);

    @BeforeEach
    void start() throws Exception {
        server = new NetconfServer(Models.systemAndTest(), new Datastores(dir.resolve("netconf")),
                m -> appliers.getOrDefault(m, List.of()), dir.resolve("files"));
        server.opened(one);
        server.opened(two);
    }

    @AfterEach
    void stop() {
        server.shutdown();
    }

    // ---- helpers ----

    static final class FakeSession implements Session {
        final long id;
        final List<String> received = new CopyOnWriteArrayList<>();
        boolean terminated;

        FakeSession(long id) {
            this.id = id;
        }

        @Override
        public long id() {
            return id;
        }

        @Override
        public String user() {
            return "admin";
        }

        @Override
        public String sourceAddress() {
            return "127.0.0.2";
        }

        @Override
        public void send(byte[] message) {
            received.add(new String(message, StandardCharsets.UTF_8));
        }

        @Override
        public void terminate() {
            terminated = true;
        }
    }

    private String rpc(Session s, String op) throws Exception {
        String xml = "<rpc message-id=\"1\" xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">" + op + "</rpc>";
        Document d = DataTrees.builder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        return new String(Datastores.serialize(server.handle(s, d).getDocumentElement()), StandardCharsets.UTF_8);
    }

    private String ok(Session s, String op) throws Exception {
        String reply = rpc(s, op);
        assertTrue(reply.contains("<ok/>"), reply);
        return reply;
    }

    private String edit(String target, String config) throws Exception {
        return rpc(one, "<edit-config><target><" + target + "/></target><config>" + config + "</config></edit-config>");
    }

    private String running() throws Exception {
        return rpc(one, "<get-config><source><running/></source></get-config>");
    }

    private static String user(String name, String ext) {
        return "<user><name>" + name + "</name><extension>" + ext + "</extension><password>p</password></user>";
    }

    private void applier(String module, String refuseWith) {
        appliers.computeIfAbsent(module, k -> new ArrayList<>()).add(new ConfigApplier() {
            @Override
            public void prepare(long tx, Element config) throws ConfigRejectedException {
                calls.add(module + " prepare " + DataTrees.children(config).size());
                if (refuseWith != null) {
                    throw new ConfigRejectedException("/" + module, refuseWith);
                }
            }

            @Override
            public void apply(long tx) {
                calls.add(module + " apply");
            }

            @Override
            public void abort(long tx) {
                calls.add(module + " abort");
            }
        });
    }

    // ---- tests ----

    @Test
    void aRemovedModuleLeavesRunningAndTheCandidateKeepsItsOtherChanges() throws Exception {
        String modules = "<system xmlns=\"" + SYS + "\"><modules><module><name>zeta</name><enabled>false</enabled></module>"
                + "<module><name>pbx</name><enabled>true</enabled></module></modules></system>";
        ok(one, "<edit-config><target><running/></target><config>" + modules + "</config></edit-config>");
        ok(one, "<edit-config><target><candidate/></target><config><system xmlns=\"" + SYS + "\"><hostname>after</hostname></system>"
                + "</config></edit-config>");
        server.forgetModule("zeta");
        String run = running();
        assertFalse(run.contains("zeta"), run);
        assertTrue(run.contains("<name>pbx</name>"), "the other modules stay: " + run);
        String cand = rpc(one, "<get-config><source><candidate/></source></get-config>");
        assertFalse(cand.contains("zeta"), cand);
        assertTrue(cand.contains("<hostname>after</hostname>"), "the candidate's own change is kept: " + cand);
        server.forgetModule("zeta"); // nothing left to forget: nothing happens
        assertEquals(run, running());
    }

    @Test
    void editConfigMergesCreatesReplacesAndDeletesListEntriesByKey() throws Exception {
        String pbx = "<pbx xmlns=\"" + T + "\" xmlns:nc=\"urn:ietf:params:xml:ns:netconf:base:1.0\">";
        assertTrue(edit("candidate", pbx + user("alice", "100") + user("bob", "101") + "</pbx>").contains("<ok/>"));
        assertTrue(edit("candidate", pbx + "<user><name>alice</name><extension>200</extension></user></pbx>").contains("<ok/>"));
        String cand = rpc(one, "<get-config><source><candidate/></source></get-config>");
        assertTrue(cand.contains("<extension>200</extension>") && cand.contains("<name>bob</name>"), cand);

        String dup = edit("candidate", pbx + "<user nc:operation=\"create\"><name>bob</name><extension>300</extension>"
                + "<password>p</password></user></pbx>");
        assertTrue(dup.contains("<error-tag>data-exists</error-tag>"), dup);

        String missing = edit("candidate", pbx + "<user nc:operation=\"delete\"><name>carol</name></user></pbx>");
        assertTrue(missing.contains("<error-tag>data-missing</error-tag>"), missing);
        assertTrue(edit("candidate", pbx + "<user nc:operation=\"remove\"><name>carol</name></user></pbx>").contains("<ok/>"),
                "remove of something absent is fine");

        assertTrue(edit("candidate", pbx + "<user nc:operation=\"replace\"><name>bob</name><extension>102</extension>"
                + "<ha1>0123456789abcdef0123456789abcdef</ha1></user></pbx>").contains("<ok/>"));
        cand = rpc(one, "<get-config><source><candidate/></source></get-config>");
        assertTrue(cand.contains("<ha1>") && !cand.contains("<extension>101</extension>"), cand);

        assertTrue(edit("candidate", pbx + "<user nc:operation=\"delete\"><name>bob</name></user></pbx>").contains("<ok/>"));
        cand = rpc(one, "<get-config><source><candidate/></source></get-config>");
        assertFalse(cand.contains("bob"), cand);
        assertFalse(running().contains("alice"), "nothing reaches running before commit");
    }

    @Test
    void anInvalidEditIsRefusedWithEveryProblemAndChangesNothing() throws Exception {
        String reply = edit("candidate", "<pbx xmlns=\"" + T + "\"><user><name>a</name><extension>1x</extension></user></pbx>");
        assertTrue(reply.contains("<error-tag>invalid-value</error-tag>"), reply);
        assertTrue(reply.contains("<error-path>/besip-test:pbx/user[name='a']/extension</error-path>"), reply);
        assertTrue(reply.contains("\"1x\" does not match pattern"), reply);
        String unknown = edit("candidate", "<pbx xmlns=\"" + T + "\"><gateway>x</gateway></pbx>");
        assertTrue(unknown.contains("<error-tag>unknown-element</error-tag>") && unknown.contains("<bad-element>gateway</bad-element>"), unknown);
        assertFalse(rpc(one, "<get-config><source><candidate/></source></get-config>").contains("pbx"));
    }

    @Test
    void commitPreparesEveryChangedModuleThenAppliesAll() throws Exception {
        applier("besip-test", null);
        applier("besip-system", null);
        edit("candidate", "<pbx xmlns=\"" + T + "\">" + user("alice", "100") + "</pbx>");
        ok(one, "<commit/>");
        assertEquals(List.of("besip-test prepare 1", "besip-test apply"), calls, "only the module that changed");
        assertTrue(running().contains("alice"));
    }

    @Test
    void aModuleThatRefusesAbortsTheWholeCommitAndRunningStaysAsItWas() throws Exception {
        applier("besip-system", null);
        applier("besip-test", "no room for more users");
        edit("candidate", "<system xmlns=\"" + SYS + "\"><hostname>x1</hostname></system><pbx xmlns=\"" + T + "\">"
                + user("alice", "100") + "</pbx>");
        String reply = rpc(one, "<commit/>");
        assertTrue(reply.contains("module besip-test refused the configuration at /besip-test: no room for more users"), reply);
        assertTrue(calls.contains("besip-system abort"), calls.toString());
        assertFalse(calls.contains("besip-system apply"), calls.toString());
        assertFalse(running().contains("x1"), "nothing changed");
    }

    @Test
    void locksKeepOtherSessionsOutAndGoWithTheSession() throws Exception {
        ok(one, "<lock><target><running/></target></lock>");
        String denied = rpc(two, "<lock><target><running/></target></lock>");
        assertTrue(denied.contains("<error-tag>lock-denied</error-tag>") && denied.contains("<session-id>1</session-id>"), denied);
        String inUse = rpc(two, "<edit-config><target><running/></target><config><system xmlns=\"" + SYS
                + "\"><hostname>h</hostname></system></config></edit-config>");
        assertTrue(inUse.contains("<error-tag>in-use</error-tag>"), inUse);
        server.closed(one);
        ok(two, "<lock><target><running/></target></lock>");
    }

    @Test
    void killSessionEndsAnotherSessionAndFreesItsLocks() throws Exception {
        ok(one, "<lock><target><candidate/></target></lock>");
        ok(two, "<kill-session><session-id>1</session-id></kill-session>");
        assertTrue(one.terminated);
        ok(two, "<lock><target><candidate/></target></lock>");
        assertTrue(rpc(two, "<kill-session><session-id>2</session-id></kill-session>").contains("cannot kill itself"));
    }

    @Test
    void anUnconfirmedCommitRollsBackWhenItsTimeoutRunsOut() throws Exception {
        applier("besip-system", null);
        edit("candidate", "<system xmlns=\"" + SYS + "\"><hostname>before</hostname></system>");
        ok(one, "<commit/>");
        edit("candidate", "<system xmlns=\"" + SYS + "\"><hostname>after</hostname></system>");
        ok(one, "<commit><confirmed/><confirm-timeout>1</confirm-timeout></commit>");
        assertTrue(running().contains("after"));
        long deadline = System.currentTimeMillis() + 10_000;
        while (running().contains("after") && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(running().contains("before"), "rolled back to the configuration before the confirmed commit");
        assertEquals(3, calls.stream().filter(c -> c.equals("besip-system apply")).count(), "the rollback went through the module too");
    }

    @Test
    void aConfirmingCommitKeepsTheChangeAndCancelCommitUndoesIt() throws Exception {
        edit("candidate", "<system xmlns=\"" + SYS + "\"><hostname>first</hostname></system>");
        ok(one, "<commit><confirmed/><confirm-timeout>60</confirm-timeout></commit>");
        ok(one, "<commit/>");
        assertTrue(running().contains("first"));
        edit("candidate", "<system xmlns=\"" + SYS + "\"><hostname>second</hostname></system>");
        ok(one, "<commit><confirmed/><persist>p1</persist></commit>");
        assertTrue(rpc(two, "<cancel-commit/>").contains("persist-id"), "another session needs the persist-id");
        ok(two, "<cancel-commit><persist-id>p1</persist-id></cancel-commit>");
        assertTrue(running().contains("first"));
    }

    @Test
    void startupIsWhatTheBoxBootsWith() throws Exception {
        edit("running", "<system xmlns=\"" + SYS + "\"><hostname>saved</hostname></system>");
        ok(one, "<copy-config><target><startup/></target><source><running/></source></copy-config>");
        edit("running", "<system xmlns=\"" + SYS + "\"><hostname>unsaved</hostname></system>");
        Datastores rebooted = new Datastores(dir.resolve("netconf"));
        String boot = new String(Datastores.serialize(rebooted.snapshot(Datastores.Name.RUNNING)), StandardCharsets.UTF_8);
        assertTrue(boot.contains("saved") && !boot.contains("unsaved"), boot);
        ok(one, "<delete-config><target><startup/></target></delete-config>");
        assertTrue(rpc(one, "<delete-config><target><running/></target></delete-config>").contains("only the startup"));
    }

    @Test
    void theWholeConfigurationIsExportedAndImportedThroughAFileUrl() throws Exception {
        edit("running", "<system xmlns=\"" + SYS + "\"><hostname>exported</hostname></system><pbx xmlns=\"" + T + "\">"
                + user("alice", "100") + "</pbx>");
        ok(one, "<copy-config><target><url>file:///backup.xml</url></target><source><running/></source></copy-config>");
        assertTrue(Files.readString(dir.resolve("files/backup.xml")).contains("exported"));
        edit("running", "<system xmlns=\"" + SYS + "\"><hostname>changed</hostname></system>");
        ok(one, "<copy-config><target><running/></target><source><url>file:///backup.xml</url></source></copy-config>");
        assertTrue(running().contains("exported") && running().contains("alice"));
        String escape = rpc(one, "<copy-config><target><url>file:///../../etc/passwd</url></target><source><running/></source></copy-config>");
        assertTrue(escape.contains("<error-tag>invalid-value</error-tag>"), escape);
    }

    @Test
    void filtersSelectSubtreesByContentAndByXpath() throws Exception {
        edit("running", "<pbx xmlns=\"" + T + "\">" + user("alice", "100") + user("bob", "101") + "</pbx>");
        String sub = rpc(one, "<get-config><source><running/></source><filter type=\"subtree\"><pbx xmlns=\"" + T
                + "\"><user><name>bob</name></user></pbx></filter></get-config>");
        assertTrue(sub.contains("<extension>101</extension>") && !sub.contains("alice"), sub);
        String sel = rpc(one, "<get-config><source><running/></source><filter type=\"subtree\"><pbx xmlns=\"" + T
                + "\"><user><extension/></user></pbx></filter></get-config>");
        assertTrue(sel.contains("<name>alice</name>") && sel.contains("<extension>100</extension>") && !sel.contains("<password>"), sel);
        String xp = rpc(one, "<get-config><source><running/></source><filter type=\"xpath\" xmlns:t=\"" + T
                + "\" select=\"/t:pbx/t:user[t:name='alice']/t:extension\"/></get-config>");
        assertTrue(xp.contains("<extension>100</extension>") && xp.contains("<name>alice</name>") && !xp.contains("bob"), xp);
    }

    @Test
    void malformedRequestsGetTheirRfcErrors() throws Exception {
        String xml = "<rpc xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><get/></rpc>";
        Document d = DataTrees.builder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        String reply = new String(Datastores.serialize(server.handle(one, d).getDocumentElement()), StandardCharsets.UTF_8);
        assertTrue(reply.contains("<error-tag>missing-attribute</error-tag>"), reply);
        assertTrue(rpc(one, "<frobnicate/>").contains("<error-tag>operation-not-supported</error-tag>"));
        assertTrue(rpc(one, "<get-config><source><nowhere/></source></get-config>").contains("<error-tag>invalid-value</error-tag>"));
        assertTrue(rpc(one, "<edit-config><target><candidate/></target></edit-config>").contains("<error-tag>missing-element</error-tag>"));
    }

    @Test
    void subscribersHearOfEveryChangeToRunning() throws Exception {
        ok(two, "<create-subscription xmlns=\"urn:ietf:params:xml:ns:netconf:notification:1.0\"/>");
        edit("running", "<system xmlns=\"" + SYS + "\"><hostname>n1</hostname></system>");
        assertEquals(1, two.received.size());
        String n = two.received.get(0);
        assertTrue(n.contains("<netconf-config-change") && n.contains("<session-id>1</session-id>") && n.contains("<eventTime>"), n);
        assertTrue(one.received.isEmpty(), "only subscribers get notifications");
    }

    @Test
    void eachCommitIsKeptAndRunningGoesBackToOneWithRollback() throws Exception {
        server.history(new org.besip.netconf.internal.datastore.CommitHistory(dir.resolve("history")));
        applier("besip-test", null);
        String pbx = "<pbx xmlns=\"" + T + "\">";
        ok(one, "<edit-config><target><candidate/></target><config>" + pbx + user("alice", "100") + "</pbx></config></edit-config>");
        ok(one, "<commit/>");
        ok(one, "<edit-config><target><candidate/></target><config>" + pbx + user("bob", "101") + "</pbx></config></edit-config>");
        ok(one, "<commit/>");
        String list = rpc(one, "<list-commits xmlns=\"" + SYS + "\"/>");
        assertTrue(list.indexOf("<id>2</id>") < list.indexOf("<id>1</id>") && list.contains("<id>1</id>"), "newest first: " + list);
        assertTrue(list.contains("<user>admin</user>") && list.contains("<module>besip-test</module>") && list.contains("<note>commit</note>"), list);
        assertTrue(running().contains("bob"));

        calls.clear();
        ok(two, "<rollback xmlns=\"" + SYS + "\"><id>1</id></rollback>");
        assertFalse(running().contains("bob"), "running is commit 1's again");
        assertTrue(running().contains("alice"));
        assertEquals(List.of("besip-test prepare 1", "besip-test apply"), calls, "applied like a commit");
        assertFalse(rpc(one, "<get-config><source><candidate/></source></get-config>").contains("bob"), "the candidate follows running");
        assertTrue(rpc(one, "<list-commits xmlns=\"" + SYS + "\"/>").contains("<note>rollback to commit 1</note>"), "the rollback is a commit too");

        String none = rpc(one, "<rollback xmlns=\"" + SYS + "\"><id>99</id></rollback>");
        assertTrue(none.contains("<rpc-error>") && none.contains("no commit 99 in the history"), none);
        String bad = rpc(one, "<rollback xmlns=\"" + SYS + "\"><id>x</id></rollback>");
        assertTrue(bad.contains("not a commit id: x"), bad);
    }

    @Test
    void theHistoryKeepsAsManyCommitsAsSystemRollbackHistorySays() throws Exception {
        server.history(new org.besip.netconf.internal.datastore.CommitHistory(dir.resolve("history")));
        ok(one, "<edit-config><target><running/></target><config><system xmlns=\"" + SYS + "\"><rollback><history>2</history></rollback>"
                + "</system></config></edit-config>");
        for (String h : new String[] { "a", "b", "c" }) {
            ok(one, "<edit-config><target><running/></target><config><system xmlns=\"" + SYS + "\"><hostname>" + h + "</hostname></system>"
                    + "</config></edit-config>");
        }
        String list = rpc(one, "<list-commits xmlns=\"" + SYS + "\"/>");
        assertEquals(2, list.split("<commit ", -1).length - 1, "two kept: " + list);
        assertTrue(list.contains("<note>edit of running</note>"), list);
    }
}
