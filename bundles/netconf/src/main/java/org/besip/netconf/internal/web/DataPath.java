package org.besip.netconf.internal.web;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.besip.netconf.internal.yang.DataTrees;
import org.besip.netconf.internal.yang.Schema;
import org.besip.netconf.internal.yang.SchemaNode;
import org.besip.netconf.internal.yang.SchemaNode.Kind;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * A path to a node of the configuration, as the configuration page puts it in its links and
 * as the server's {@code error-path}s name the node they concern:
 * {@code /besip-pbx:pbx/user[name='alice']/password}. The first step is qualified by its
 * module, later steps only where they enter another module (an augment); a list entry carries
 * its keys, a list without keys stands for the list itself. {@link #parse} also takes the
 * prefixed form modules write ({@code /pbx:pbx/pbx:user[pbx:name='alice']}), so that every
 * error lands on the same canonical path as the form's fields.
 */
public final class DataPath {

    /** One step: the schema node and, for a list entry, its keys in key order. */
    public record Step(SchemaNode node, Map<String, String> keys) {
        boolean isEntry() {
            return node.kind() == Kind.LIST && !keys.isEmpty();
        }
    }

    private final List<Step> steps;

    private DataPath(List<Step> steps) {
        this.steps = List.copyOf(steps);
    }

    public static DataPath top(SchemaNode top) {
        return new DataPath(List.of(new Step(top, Map.of())));
    }

    public List<Step> steps() {
        return steps;
    }

    public SchemaNode node() {
        return steps.get(steps.size() - 1).node();
    }

    /** Whether the path ends at a list entry (with its keys). */
    public boolean isEntry() {
        return steps.get(steps.size() - 1).isEntry();
    }

    public Map<String, String> keys() {
        return steps.get(steps.size() - 1).keys();
    }

    public DataPath child(SchemaNode n) {
        List<Step> s = new ArrayList<>(steps);
        s.add(new Step(n, Map.of()));
        return new DataPath(s);
    }

    /** The entry of the list this path ends at, with these keys. */
    public DataPath entry(Map<String, String> keys) {
        List<Step> s = new ArrayList<>(steps);
        Step last = s.remove(s.size() - 1);
        s.add(new Step(last.node(), new LinkedHashMap<>(keys)));
        return new DataPath(s);
    }

    /** The entry {@code entry} (an element of the list this path ends at), with the keys it holds. */
    public DataPath entryFrom(Element entry) {
        SchemaNode list = node();
        Map<String, String> keys = new LinkedHashMap<>();
        for (String k : list.keys()) {
            Element leaf = DataTrees.child(entry, list.namespace(), k);
            keys.put(k, leaf == null ? "" : leaf.getTextContent().trim());
        }
        return entry(keys);
    }

    /** The first {@code n} steps of this path. */
    public DataPath upTo(int n) {
        return n >= steps.size() ? this : new DataPath(steps.subList(0, n));
    }

    public DataPath parent() {
        return steps.size() == 1 ? this : upTo(steps.size() - 1);
    }

    /** The list this entry path is an entry of (the keys dropped). */
    public DataPath list() {
        return entry(Map.of());
    }

    /**
     * The page an error at this path is shown on: the nearest list entry or top-level node at
     * or above it, where the form holding the field is.
     */
    public DataPath page() {
        for (int i = steps.size() - 1; i > 0; i--) {
            if (steps.get(i).isEntry()) {
                return upTo(i + 1);
            }
        }
        return upTo(1);
    }

    /** Whether {@code other} is this path or below it. */
    public boolean holds(DataPath other) {
        return other.toString().equals(toString()) || other.toString().startsWith(toString() + "/");
    }

    /** The element this path names in {@code data} (a {@code <data>} root), or null when there is none. */
    public Element find(Element data) {
        Element cur = data;
        for (Step s : steps) {
            cur = step(cur, s);
            if (cur == null) {
                return null;
            }
        }
        return cur;
    }

    /** The child of {@code parent} that {@code s} names, or null. */
    private static Element step(Element parent, Step s) {
        for (Element c : DataTrees.children(parent)) {
            if (c.getLocalName().equals(s.node().name()) && DataTrees.nsOf(c).equals(s.node().namespace()) && matches(c, s)) {
                return c;
            }
        }
        return null;
    }

    private static boolean matches(Element e, Step s) {
        for (var k : s.keys().entrySet()) {
            Element leaf = DataTrees.child(e, s.node().namespace(), k.getKey());
            if (leaf == null || !leaf.getTextContent().trim().equals(k.getValue())) {
                return false;
            }
        }
        return true;
    }

    /**
     * The elements of this path under {@code root} in an edit, created where missing, list
     * entries with their key leaves; returns the last.
     */
    public Element build(Element root) {
        Document d = root.getOwnerDocument();
        Element cur = root;
        for (Step s : steps) {
            Element next = step(cur, s);
            if (next == null) {
                next = d.createElementNS(s.node().namespace(), s.node().name());
                for (var k : s.keys().entrySet()) {
                    Element leaf = d.createElementNS(s.node().namespace(), k.getKey());
                    leaf.setTextContent(k.getValue());
                    next.appendChild(leaf);
                }
                cur.appendChild(next);
            }
            cur = next;
        }
        return cur;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        SchemaNode up = null;
        for (Step s : steps) {
            sb.append('/');
            if (up == null || !up.module().equals(s.node().module())) {
                sb.append(s.node().module()).append(':');
            }
            sb.append(s.node().name());
            for (var k : s.keys().entrySet()) {
                String q = k.getValue().contains("'") ? "\"" : "'";
                sb.append('[').append(k.getKey()).append('=').append(q).append(k.getValue()).append(q).append(']');
            }
            up = s.node();
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DataPath p && p.toString().equals(toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    /**
     * Reads a path in the canonical or the prefixed form.
     * @throws IllegalArgumentException with what is wrong, in words for the operator
     */
    public static DataPath parse(Schema schema, String text) {
        if (text == null || !text.startsWith("/") || text.length() > 4096) {
            throw new IllegalArgumentException("a path starts with / and names a configuration node, e.g. /besip-pbx:pbx");
        }
        List<Step> steps = new ArrayList<>();
        SchemaNode cur = schema.root();
        int i = 1;
        while (i <= text.length()) {
            int end = stepEnd(text, i);
            String step = text.substring(i, end);
            int bracket = step.indexOf('[');
            String name = bracket < 0 ? step : step.substring(0, bracket);
            String ns = cur == schema.root() ? null : cur.namespace();
            int colon = name.indexOf(':');
            if (colon >= 0) {
                ns = namespace(schema, name.substring(0, colon));
                name = name.substring(colon + 1);
            }
            SchemaNode n = null;
            if (ns != null) {
                n = cur.dataChild(ns, name);
            } else {
                for (SchemaNode t : schema.tops()) {
                    if (t.name().equals(name)) {
                        n = t;
                    }
                }
            }
            if (n == null) {
                throw new IllegalArgumentException("no configuration node '" + name + "' "
                        + (cur == schema.root() ? "at the top" : "under " + cur.path()));
            }
            Map<String, String> keys = bracket < 0 ? Map.of() : predicates(n, step.substring(bracket));
            steps.add(new Step(n, keys));
            cur = n;
            i = end + 1;
        }
        return new DataPath(steps);
    }

    private static String namespace(Schema schema, String prefixOrModule) {
        for (Schema.ModuleInfo m : schema.modules()) {
            if (m.name().equals(prefixOrModule) || m.prefix().equals(prefixOrModule)) {
                return m.namespace();
            }
        }
        throw new IllegalArgumentException("no module or prefix '" + prefixOrModule + "'");
    }

    /** Where the step starting at {@code from} ends: the next / outside brackets and quotes. */
    private static int stepEnd(String text, int from) {
        char quote = 0;
        int depth = 0;
        for (int i = from; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '[') {
                depth++;
            } else if (c == ']') {
                depth--;
            } else if (c == '/' && depth == 0) {
                return i;
            }
        }
        return text.length();
    }

    private static Map<String, String> predicates(SchemaNode list, String text) {
        if (list.kind() != Kind.LIST) {
            throw new IllegalArgumentException(list.path() + " is not a list: it takes no [key='value']");
        }
        Map<String, String> found = new LinkedHashMap<>();
        int i = 0;
        while (i < text.length()) {
            int eq = text.indexOf('=', i);
            if (text.charAt(i) != '[' || eq < 0 || eq + 1 >= text.length()) {
                throw new IllegalArgumentException("a list entry is written " + list.name() + "[key='value']");
            }
            String key = text.substring(i + 1, eq).trim();
            key = key.substring(key.indexOf(':') + 1);
            char q = text.charAt(eq + 1);
            int close = q == '\'' || q == '"' ? text.indexOf(q, eq + 2) : -1;
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ']') {
                throw new IllegalArgumentException("a key's value is quoted: " + list.name() + "[key='value']");
            }
            found.put(key, text.substring(eq + 2, close));
            i = close + 2;
        }
        Map<String, String> keys = new LinkedHashMap<>();
        for (String k : list.keys()) {
            if (!found.containsKey(k)) {
                throw new IllegalArgumentException("an entry of " + list.name() + " needs its key " + k);
            }
            keys.put(k, found.remove(k));
        }
        if (!found.isEmpty()) {
            throw new IllegalArgumentException(found.keySet() + " is not a key of " + list.name() + " (keys: " + list.keys() + ")");
        }
        return keys;
    }
}
