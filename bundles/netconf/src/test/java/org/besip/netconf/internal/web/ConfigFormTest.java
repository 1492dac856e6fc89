package org.besip.netconf.internal.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.besip.netconf.internal.datastore.Datastores;
import org.besip.netconf.internal.ops.EditConfig;
import org.besip.netconf.internal.yang.DataTrees;
import org.besip.netconf.internal.yang.Models;
import org.besip.netconf.internal.yang.Schema;
import org.besip.netconf.internal.yang.Validator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;

/**
 * The configuration page's forms, paths and change view over a module that has each construct
 * the generator renders; edits are applied with the server's own edit-config and the result
 * read back, so what a post does is checked on the data, not on the XML the form builds.
 */
class ConfigFormTest {

    static final String NS = "urn:t:office";
    static final String MODULE = """
            module office {
              yang-version 1.1;
              namespace "urn:t:office";
              prefix of;
              identity codec;
              identity pcma { base codec; }
              identity opus { base codec; }
              container office {
                description "The office's phones.";
                leaf name { type string { length "1..32"; } mandatory true; description "What the office is called."; }
                leaf port { type uint16 { range "1024..65535"; } units "seconds"; default "5060"; }
                leaf open { type boolean; default "true"; }
                leaf mode { type enumeration { enum proxy; enum b2bua; } default "proxy"; }
                container b2bua {
                  when "../mode = 'b2bua'";
                  leaf expires { type uint32; default "1800"; }
                }
                container upstream {
                  presence "Registers upstream.";
                  leaf password { type string; mandatory true; }
                }
                list trunk {
                  key name;
                  leaf name { type string; }
                  leaf host { type string; mandatory true; }
                }
                list user {
                  key name;
                  leaf name { type string { pattern '[a-z][a-z0-9]*'; } }
                  leaf password { type string; }
                  leaf codec { type identityref { base codec; } }
                  leaf trunk { type leafref { path "/of:office/of:trunk/of:name"; } }
                  leaf-list algorithm { type enumeration { enum MD5; enum SHA-256; } ordered-by user; }
                  leaf enabled { type boolean; default "true"; }
                }
              }
            }
            """;

    static Schema schema;

    @BeforeAll
    static void load() throws Exception {
        schema = Models.compile(MODULE);
    }

    static Element data(String inner) throws Exception {
        return DataTrees.builder().parse(new ByteArrayInputStream(("<data xmlns='urn:ietf:params:xml:ns:netconf:base:1.0'>"
                + "<office xmlns='" + NS + "'>" + inner + "</office></data>").getBytes(StandardCharsets.UTF_8))).getDocumentElement();
    }

    static final String OFFICE = "<name>HQ</name><trunk><name>provider</name><host>sip.example.net</host></trunk>"
            + "<trunk><name>backup</name><host>b.example.net</host></trunk>"
            + "<user><name>alice</name><password>s3cret-Horse-9</password><trunk>provider</trunk>"
            + "<algorithm>MD5</algorithm><algorithm>SHA-256</algorithm></user>";

    static Map<String, String[]> form(String... pairs) {
        Map<String, String[]> m = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], new String[] { pairs[i + 1] });
        }
        return m;
    }

    /** The candidate after the form's edits, each applied by the server's edit-config as the page sends them. */
    static Element apply(Element data, DataPath path, boolean isNew, Map<String, String[]> params) throws Exception {
        Element work = Datastores.copy(data);
        for (ConfigForm.Edit e : ConfigForm.edits(schema, data, path, isNew, params)) {
            var errors = EditConfig.apply(schema, work, e.config(), EditConfig.Op.MERGE, false);
            assertTrue(errors.isEmpty(), errors.toString());
            if (e.validate()) {
                assertEquals(List.of(), Validator.validate(schema, work));
            }
        }
        return work;
    }

    static DataPath path(String p) {
        return DataPath.parse(schema, p);
    }

    static String text(Element data, String path) {
        Element e = path(path).find(data);
        return e == null ? null : e.getTextContent();
    }

    @Test
    void pathsReadTheCanonicalAndThePrefixedFormAlike() {
        DataPath canonical = path("/office:office/user[name='alice']/password");
        assertEquals("/office:office/user[name='alice']/password", canonical.toString());
        assertEquals(canonical, path("/of:office/of:user[of:name='alice']/of:password"));
        assertEquals("/office:office/user[name='alice']", canonical.page().toString());
        assertEquals("/office:office", path("/office:office/b2bua/expires").page().toString());
        assertEquals("/office:office/user[name=\"o'neil\"]", path("/office:office/user[name=\"o'neil\"]").toString());
        assertTrue(path("/office:office/user[name='alice']").holds(canonical));
        assertFalse(path("/office:office/user[name='al']").holds(canonical));
        var unknown = assertThrows(IllegalArgumentException.class, () -> path("/office:office/phone"));
        assertEquals("no configuration node 'phone' under /office:office", unknown.getMessage());
        assertEquals("an entry of user needs its key name",
                assertThrows(IllegalArgumentException.class, () -> path("/office:office/user[nom='x']")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> path("office"));
        assertThrows(IllegalArgumentException.class, () -> path("/nomodule:office"));
    }

    @Test
    void leavesBecomeInputsByTheirType() throws Exception {
        Element d = data(OFFICE);
        String top = ConfigForm.render(schema, d, path("/office:office"), false, null, Map.of());
        assertTrue(top.contains("<input type='text' id='f-name' name='name' value='HQ'>"), top);
        assertTrue(top.contains("<span class='mandatory' title='required'>*</span>"), "mandatory marked");
        assertTrue(top.contains("<input type='text' id='f-port' name='port' value='' placeholder='5060'>"), "default as placeholder");
        assertTrue(top.contains("range 1024..65535 · seconds · default 5060"), "range, units, default as hints");
        assertTrue(top.contains("length 1..32"));
        assertTrue(top.contains("<div class='help'>What the office is called.</div>"), "description as help");
        assertTrue(top.contains("<input type='checkbox' id='f-open' name='open' value='true' checked>"), "a boolean is a switch, on by its default");
        assertTrue(top.contains("<select id='f-mode' name='mode'><option value=''>(default: proxy)</option><option value='proxy'>proxy</option>"
                + "<option value='b2bua'>b2bua</option></select>"), top);
        assertFalse(top.contains("f-b2bua/expires"), "when ../mode = 'b2bua' is false: b2bua is not offered");
        assertTrue(top.contains("id='f-upstream'") && !top.contains("id='f-upstream' name='upstream' value='true' checked"),
                "a presence container is a switch, off while absent");
        assertTrue(top.contains("<td class='name'>provider</td><td class='host'>sip.example.net</td>"), "a list is a table, keys first");
        assertTrue(top.contains("href='besip-config?path=%2Foffice%3Aoffice%2Ftrunk%5Bname%3D%27provider%27%5D'>Edit</a>"), top);
        assertTrue(top.contains("<button type='submit' class='remove' name='remove' value='/office:office/trunk[name=&#39;provider&#39;]'>"));
        assertTrue(top.contains("id='add-user' href='besip-config?path=%2Foffice%3Aoffice%2Fuser&amp;new=1'"));

        Element b2bua = data(OFFICE + "<mode>b2bua</mode>");
        assertTrue(ConfigForm.render(schema, b2bua, path("/office:office"), false, null, Map.of()).contains("id='f-b2bua/expires'"),
                "when true: shown");

        String alice = ConfigForm.render(schema, d, path("/office:office/user[name='alice']"), false, null, Map.of());
        assertTrue(alice.contains("<span class='key' id='f-name'>alice</span>"), "an entry's key is shown, not edited");
        assertTrue(alice.contains("<input type='password' id='f-password' name='password' value='' autocomplete='new-password' "
                + "placeholder='(set: leave blank to keep)'>"), alice);
        assertFalse(alice.contains("s3cret"), "a secret never goes back to the browser");
        assertTrue(alice.contains("<option value='of:opus'>of:opus</option>") && alice.contains("<option value='of:pcma'>"), "identities");
        assertFalse(alice.contains("<option value='of:codec'>"), "not the base itself");
        assertTrue(alice.contains("<option value='provider' selected>provider</option><option value='backup'>backup</option>"),
                "a leafref selects among the existing keys");
        assertTrue(alice.contains("<textarea id='f-algorithm' name='algorithm' rows='3'>MD5\nSHA-256</textarea> <span class='hint'>"
                + "one per line, in order; one of: MD5, SHA-256</span>"), alice);

        String refused = ConfigForm.render(schema, d, path("/office:office/user[name='alice']"), false,
                form("password", "x", "has:enabled", "1"), Map.of("password", "too short"));
        assertTrue(refused.contains("<div class='field invalid'><label for='f-password'>password</label>"));
        assertTrue(refused.contains("<div class='field-error' id='e-password'>too short</div>"));
        assertTrue(refused.contains("id='f-enabled' name='enabled' value='true'>"), "the posted (unchecked) switch is kept");

        String fresh = ConfigForm.render(schema, d, path("/office:office/user"), true, null, Map.of());
        assertTrue(fresh.contains("<input type='hidden' name='new' value='1'>") && fresh.contains("<input type='text' id='f-name' name='name' value=''>"),
                "a new entry's key is an input");
    }

    @Test
    void aPostBecomesTheEditThatMakesTheCandidateHoldIt() throws Exception {
        Element d = data(OFFICE);
        DataPath top = path("/office:office");
        Element after = apply(d, top, false, form("name", "Head office", "port", "5070", "has:open", "1", "mode", "proxy",
                "has:upstream", "1"));
        assertEquals("Head office", text(after, "/office:office/name"));
        assertEquals("5070", text(after, "/office:office/port"));
        assertEquals("false", text(after, "/office:office/open"), "an unchecked switch, default true: false is written");
        assertEquals("proxy", text(after, "/office:office/mode"));
        assertNull(path("/office:office/upstream").find(after));
        assertEquals("provider", text(after, "/office:office/trunk[name='provider']/name"), "the lists are untouched");

        assertEquals(List.of(), ConfigForm.edits(schema, d, top, false, form("name", "HQ", "port", "", "has:open", "1", "open", "true",
                "mode", "")), "nothing changed, nothing sent: blank stays absent, a switch at its default is not written");

        Element empty = DataTrees.builder().parse(new ByteArrayInputStream("<data xmlns='urn:ietf:params:xml:ns:netconf:base:1.0'/>"
                .getBytes(StandardCharsets.UTF_8))).getDocumentElement();
        assertEquals("5070", text(apply(empty, top, false, form("name", "New", "port", "5070")), "/office:office/port"),
                "a top-level container not configured yet is made by its first field");

        Element cleared = apply(after, top, false, form("port", "", "mode", ""));
        assertNull(path("/office:office/port").find(cleared), "a blank field removes its leaf");
        assertNull(path("/office:office/mode").find(cleared));

        DataPath alice = path("/office:office/user[name='alice']");
        Element kept = apply(d, alice, false, form("password", "", "codec", "of:opus", "trunk", "backup", "algorithm", "MD5\nSHA-256"));
        assertEquals("s3cret-Horse-9", text(kept, "/office:office/user[name='alice']/password"), "a blank secret keeps the secret");
        assertEquals("of:opus", text(kept, "/office:office/user[name='alice']/codec"));
        assertEquals("backup", text(kept, "/office:office/user[name='alice']/trunk"));

        Element reordered = apply(d, alice, false, form("algorithm", "SHA-256\nMD5"));
        assertEquals(List.of("SHA-256", "MD5"), values(reordered, "user", "algorithm"), "an ordered leaf-list takes the posted order");
        assertEquals(2, ConfigForm.edits(schema, d, alice, false, form("algorithm", "SHA-256\nMD5")).size());
        Element fewer = apply(d, alice, false, form("algorithm", "SHA-256"));
        assertEquals(List.of("SHA-256"), values(fewer, "user", "algorithm"));

        Element bob = apply(d, path("/office:office/user"), true, form("name", "bob", "password", "Correct-Horse-7", "has:enabled", "1",
                "enabled", "true", "algorithm", "SHA-256"));
        assertEquals("Correct-Horse-7", text(bob, "/office:office/user[name='bob']/password"));
        assertNull(path("/office:office/user[name='bob']/enabled").find(bob), "on, as by default: not written");
        var created = ConfigForm.edits(schema, d, path("/office:office/user"), true, form("name", "alice"));
        var refused = assertThrows(org.besip.netconf.internal.protocol.RpcError.class,
                () -> EditConfig.apply(schema, Datastores.copy(d), created.get(0).config(), EditConfig.Op.MERGE, false));
        assertEquals("data-exists", refused.tag(), "a new entry with an existing key is refused, not merged");
        var noKey = assertThrows(ConfigForm.FieldException.class,
                () -> ConfigForm.edits(schema, d, path("/office:office/user"), true, form("name", " ")));
        assertEquals("name", noKey.field());

        Element upstream = apply(d, top, false, form("has:upstream", "1", "upstream", "true", "upstream/password", "Up-Stream-42"));
        assertEquals("Up-Stream-42", text(upstream, "/office:office/upstream/password"));
        Element off = apply(upstream, top, false, form("has:upstream", "1", "upstream/password", "ignored"));
        assertNull(path("/office:office/upstream").find(off), "a presence container switched off is removed with what it holds");

        Element removed = Datastores.copy(d);
        EditConfig.apply(schema, removed, ConfigForm.removal(path("/office:office/trunk[name='backup']")), EditConfig.Op.MERGE, false);
        assertNull(path("/office:office/trunk[name='backup']").find(removed));
        assertEquals("sip.example.net", text(removed, "/office:office/trunk[name='provider']/host"));
    }

    static List<String> values(Element data, String list, String leafList) {
        Element office = DataTrees.child(data, NS, "office");
        Element entry = DataTrees.child(office, NS, list);
        return DataTrees.children(entry).stream().filter(e -> e.getLocalName().equals(leafList)).map(Element::getTextContent).toList();
    }

    @Test
    void theChangeViewListsWhatACommitChangesAndMasksSecrets() throws Exception {
        Element running = data(OFFICE);
        Element candidate = apply(running, path("/office:office/user[name='alice']"), false, form("password", "An0ther-Secret"));
        candidate = apply(candidate, path("/office:office"), false, form("port", "5070"));
        EditConfig.apply(schema, candidate, ConfigForm.removal(path("/office:office/trunk[name='backup']")), EditConfig.Op.MERGE, false);
        var changes = ConfigDiff.between(schema, running, candidate);
        assertEquals(List.of(
                new ConfigDiff.Change(ConfigDiff.What.REMOVED, "/office:office/trunk[name='backup']", "(entry)", null),
                new ConfigDiff.Change(ConfigDiff.What.REMOVED, "/office:office/trunk[name='backup']/host", "b.example.net", null),
                new ConfigDiff.Change(ConfigDiff.What.CHANGED, "/office:office/user[name='alice']/password", "••••••", "••••••"),
                new ConfigDiff.Change(ConfigDiff.What.ADDED, "/office:office/port", null, "5070")), changes);
        assertEquals(List.of(), ConfigDiff.between(schema, running, Datastores.copy(running)));
    }

    @Test
    void anErrorLandsAtTheFieldItsPathNames() {
        DataPath alice = path("/office:office/user[name='alice']");
        assertEquals("password", ConfigPage.fieldOf(schema, alice, "/of:office/of:user[of:name='alice']/of:password"));
        assertEquals("password", ConfigPage.fieldOf(schema, alice, "/office:office/user[name='alice']/password"));
        assertEquals("", ConfigPage.fieldOf(schema, alice, "/office:office/user[name='alice']"), "the entry's own: the form's");
        assertNull(ConfigPage.fieldOf(schema, alice, "/office:office/user[name='bob']/password"), "another entry's");
        DataPath top = path("/office:office");
        assertEquals("upstream/password", ConfigPage.fieldOf(schema, top, "/office:office/upstream/password"));
        assertNull(ConfigPage.fieldOf(schema, top, "/office:office/trunk[name='x']/host"), "in an entry: that entry's form");
        assertNull(ConfigPage.fieldOf(schema, top, "/nowhere"));
    }
}
