package org.besip.netconf.internal.datastore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.besip.netconf.internal.yang.DataTrees;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;

class CommitHistoryTest {

    @TempDir
    Path dir;

    static Element data(String hostname) throws Exception {
        String xml = "<data xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><system xmlns=\"urn:besip:params:xml:ns:yang:besip-system\">"
                + "<hostname>" + hostname + "</hostname></system></data>";
        return DataTrees.builder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8))).getDocumentElement();
    }

    static String hostname(Element data) {
        return data.getElementsByTagNameNS("*", "hostname").item(0).getTextContent();
    }

    @Test
    void theLastNCommitsAreKeptNewestFirstWithWhenWhoAndWhat() throws Exception {
        CommitHistory h = new CommitHistory(dir);
        for (int i = 1; i <= 5; i++) {
            h.record(data("box" + i), 1000L * i, "admin", i, List.of("besip-system"), "commit", 3);
        }
        List<CommitHistory.Commit> kept = h.list();
        assertEquals(List.of(5L, 4L, 3L), kept.stream().map(CommitHistory.Commit::id).toList(), "three kept, newest first");
        assertEquals(new CommitHistory.Commit(5, 5000, "admin", 5, List.of("besip-system"), "commit"), kept.get(0));
        assertEquals("box3", hostname(h.configuration(3).orElseThrow()));
        assertTrue(h.configuration(2).isEmpty(), "the oldest went");
        assertTrue(Files.notExists(dir.resolve("2.xml")), "its file too");
    }

    @Test
    void theHistoryIsReadBackAfterARestartAndIdsGoOn() throws Exception {
        CommitHistory h = new CommitHistory(dir);
        h.record(data("a"), 1, "alice\tx\ny", 7, List.of("besip-pbx", "besip-security"), "rollback to commit 1", 20);
        h.record(data("b"), 2, "", 0, List.of("besip-pbx"), "edit of running", 20);
        CommitHistory again = new CommitHistory(dir);
        assertEquals(h.list(), again.list());
        assertEquals("alice x y", again.list().get(1).user(), "a name cannot break the index");
        assertEquals(3, again.record(data("c"), 3, "admin", 1, List.of("besip-pbx"), "commit", 20).id());
        Files.writeString(dir.resolve("index"), Files.readString(dir.resolve("index")) + "garbage line\n");
        assertEquals(3, new CommitHistory(dir).list().size(), "a damaged line is skipped");
    }
}
