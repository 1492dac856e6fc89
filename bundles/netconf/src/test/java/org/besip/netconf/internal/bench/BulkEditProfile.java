package org.besip.netconf.internal.bench;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.besip.netconf.internal.datastore.Datastores;
import org.besip.netconf.internal.ops.NetconfServer;
import org.besip.netconf.internal.ops.Session;
import org.besip.netconf.internal.yang.DataTrees;
import org.besip.netconf.internal.yang.Models;
import org.besip.netconf.internal.yang.Schema;
import org.w3c.dom.Document;

/**
 * A profiling harness, not the product's figure (that is bench/netconf.sh against the running
 * box): one edit-config of N pbx users into the candidate and its commit, on the server alone
 * (no modules, no SSH), timed, so that JFR or async-profiler can say where an office-sized edit
 * spends its time.
 *
 *   java -cp ... org.besip.netconf.internal.bench.BulkEditProfile N [rounds]
 */
public final class BulkEditProfile {

    private BulkEditProfile() {
    }

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        Schema schema = Models.schema(Path.of("src/main/resources/yang/besip-system.yang"),
                Path.of("../pbx/src/main/resources/yang/besip-pbx.yang"));
        for (int r = 0; r < rounds; r++) {
            Path dir = Files.createTempDirectory("bulk-edit");
            NetconfServer server = new NetconfServer(schema, new Datastores(dir.resolve("netconf")), m -> List.of(), dir.resolve("files"));
            Session s = NetconfServer.inside("bench", "localhost");
            StringBuilder users = new StringBuilder();
            for (int i = 0; i < n; i++) {
                users.append("<user><name>u").append(i).append("</name><password>Str0ng-pass-").append(i).append("-x</password><extension>")
                        .append(100000 + i).append("</extension></user>");
            }
            String edit = "<rpc message-id='1' xmlns='urn:ietf:params:xml:ns:netconf:base:1.0'><edit-config><target><candidate/></target>"
                    + "<config><pbx xmlns='urn:besip:params:xml:ns:yang:besip-pbx'>" + users + "</pbx></config></edit-config></rpc>";
            long t0 = System.nanoTime();
            Document req = DataTrees.builder().parse(new ByteArrayInputStream(edit.getBytes(StandardCharsets.UTF_8)));
            long t1 = System.nanoTime();
            String a = new String(Datastores.serialize(server.handle(s, req).getDocumentElement()), StandardCharsets.UTF_8);
            long t2 = System.nanoTime();
            Document commit = DataTrees.builder().parse(new ByteArrayInputStream(
                    "<rpc message-id='2' xmlns='urn:ietf:params:xml:ns:netconf:base:1.0'><commit/></rpc>".getBytes(StandardCharsets.UTF_8)));
            String b = new String(Datastores.serialize(server.handle(s, commit).getDocumentElement()), StandardCharsets.UTF_8);
            long t3 = System.nanoTime();
            System.out.printf("%d users: parse %.2f s, edit-config %.2f s, commit %.2f s  (%s / %s)%n", n, (t1 - t0) / 1e9, (t2 - t1) / 1e9,
                    (t3 - t2) / 1e9, a.contains("<ok/>") ? "ok" : a, b.contains("<ok/>") ? "ok" : b);
            server.shutdown();
        }
    }
}
