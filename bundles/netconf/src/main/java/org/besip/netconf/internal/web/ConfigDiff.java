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
        Map<String, Value> before = flatten(schema, running);
        Map<String, Value> after = flatten(schema, candidate);
        Set<String> paths = new LinkedHashSet<>(before.keySet());
        paths.addAll(after.keySet());
        List<Change> out = new ArrayList<>();
        for (String p : paths) {
            Value a = before.get(p);
            Value b = after.get(p);
            if (a == null) {
                out.add(new Change(What.ADDED, p, null, b.shown()));
            } else if (b == null) {
                out.add(new Change(What.REMOVED, p, a.shown(), null));
            } else if (!a.value().equals(b.value())) {
                out.add(new Change(What.CHANGED, p, a.shown(), b.shown()));
            }
        }
        return out;
    }

    /** A node's value, compared, and what the view shows of it: a secret's is a mask. */
    private record Value(String value, String shown) {
        Value(String value) {
            this(value, value);
        }
    }

    private static Map<String, Value> flatten(Schema schema, Element data) {
        Map<String, Value> out = new LinkedHashMap<>();
        for (Element top : DataTrees.children(data)) {
            SchemaNode n = schema.top(DataTrees.nsOf(top), top.getLocalName());
            if (n != null && n.config()) {
                walk(n, top, n.kind() == Kind.LIST ? DataPath.top(n).entryFrom(top) : DataPath.top(n), out);
            }
        }
        return out;
    }

    private static void walk(SchemaNode node, Element el, DataPath path, Map<String, Value> out) {
        if (node.kind() == Kind.CONTAINER && node.presence()) {
            out.put(path.toString(), new Value("", "(configured)"));
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
                        out.put(path.child(s).toString(), ConfigForm.secret(s) ? new Value(v, "••••••") : new Value(v));
                    }
                }
                case LEAF_LIST -> leafLists.computeIfAbsent(path.child(s).toString(), k -> new ArrayList<>()).add(c.getTextContent().trim());
                case CONTAINER -> walk(s, c, path.child(s), out);
                case LIST -> {
                    DataPath entry = path.child(s).entryFrom(c);
                    out.put(entry.toString(), new Value("", "(entry)"));
                    walk(s, c, entry, out);
                }
                default -> {
                }
            }
        }
        for (var e : leafLists.entrySet()) {
            out.put(e.getKey(), new Value(String.join(", ", e.getValue())));
        }
    }
}
