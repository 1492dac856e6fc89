package org.besip.netconf.internal.web;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.besip.netconf.internal.yang.DataTrees;
import org.besip.netconf.internal.yang.Schema;
import org.besip.netconf.internal.yang.SchemaNode;
import org.besip.netconf.internal.yang.SchemaNode.Kind;
import org.w3c.dom.Element;

/**
 * What a commit would change: the candidate against running, leaf by leaf, each leaf named by
 * its {@link DataPath}. One pass over each tree, so the view costs what the two configurations
 * hold. Secrets are compared but never shown.
 */
public final class ConfigDiff {

    private ConfigDiff() {
    }

    public enum What { ADDED, REMOVED, CHANGED }

    /** One leaf (or leaf-list, or presence container) that differs; values null where absent, masked where secret. */
    public record Change(What kind, String path, String running, String candidate) {
    }

    public static List<Change> between(Schema schema, Element running, Element candidate) {
        Map<String, String[]> before = flatten(schema, running);
        Map<String, String[]> after = flatten(schema, candidate);
        Set<String> paths = new LinkedHashSet<>(before.keySet());
        paths.addAll(after.keySet());
        List<Change> out = new ArrayList<>();
        for (String p : paths) {
            String[] a = before.get(p);
            String[] b = after.get(p);
            if (a == null) {
                out.add(new Change(What.ADDED, p, null, shown(b)));
            } else if (b == null) {
                out.add(new Change(What.REMOVED, p, shown(a), null));
            } else if (!a[0].equals(b[0])) {
                out.add(new Change(What.CHANGED, p, shown(a), shown(b)));
            }
        }
        return out;
    }

    /** {value, shown value}: a secret's shown value is a mask. */
    private static String shown(String[] v) {
        return v[1];
    }

    private static Map<String, String[]> flatten(Schema schema, Element data) {
        Map<String, String[]> out = new LinkedHashMap<>();
        for (Element top : DataTrees.children(data)) {
            SchemaNode n = schema.top(DataTrees.nsOf(top), top.getLocalName());
            if (n != null && n.config()) {
                walk(n, top, n.kind() == Kind.LIST ? DataPath.top(n).entryFrom(top) : DataPath.top(n), out);
            }
        }
        return out;
    }

    private static void walk(SchemaNode node, Element el, DataPath path, Map<String, String[]> out) {
        if (node.kind() == Kind.CONTAINER && node.presence()) {
            out.put(path.toString(), new String[] { "", "(configured)" });
        }
        Map<String, List<String>> leafLists = new LinkedHashMap<>();
        for (Element c : DataTrees.children(el)) {
            SchemaNode s = node.dataChild(DataTrees.nsOf(c), c.getLocalName());
            if (s == null || !s.config()) {
                continue;
            }
            switch (s.kind()) {
                case LEAF -> {
                    if (node.kind() != Kind.LIST || !node.keys().contains(s.name())) {
                        String v = c.getTextContent().trim();
                        out.put(path.child(s).toString(), new String[] { v, ConfigForm.secret(s) ? "••••••" : v });
                    }
                }
                case LEAF_LIST -> leafLists.computeIfAbsent(path.child(s).toString(), k -> new ArrayList<>()).add(c.getTextContent().trim());
                case CONTAINER -> walk(s, c, path.child(s), out);
                case LIST -> {
                    DataPath entry = path.child(s).entryFrom(c);
                    out.put(entry.toString(), new String[] { "", "(entry)" });
                    walk(s, c, entry, out);
                }
                default -> {
                }
            }
        }
        for (var e : leafLists.entrySet()) {
            String v = String.join(", ", e.getValue());
            out.put(e.getKey(), new String[] { v, v });
        }
    }
}
