package org.besip.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.besip.netconf.internal.yang.Schema;
import org.besip.netconf.internal.yang.SchemaNode;

/**
 * A configuration path as an operator types it, Junos and VyOS style: node names from the top
 * ({@code pbx user alice password ...}), a list's name followed by its key values, a leaf's name
 * followed by its value. Resolved against the box's YANG schema, it becomes the XML of an
 * edit-config (set, delete) or of a subtree filter (show). A top-level node may be written with
 * its module's name ({@code besip-pbx:pbx}) where two modules share it. Pure.
 */
final class ConfigPath {

    /** One node on the path and, for a list entry, its key values by key name. */
    record Step(SchemaNode node, Map<String, String> keys) {
    }

    /** A path: its steps, and the value after a leaf or leaf-list (null when none was given). */
    record Resolved(List<Step> steps, String value) {
        SchemaNode target() {
            return steps.get(steps.size() - 1).node();
        }

        /** Where it is, in the CLI's own words: {@code pbx user alice password}. */
        String words() {
            StringBuilder b = new StringBuilder();
            for (Step s : steps) {
                b.append(b.length() == 0 ? "" : " ").append(s.node().name());
                s.keys().values().forEach(v -> b.append(' ').append(Text.quote(v)));
            }
            return b.toString();
        }
    }

    /** A path that does not fit the schema, with the operator's words for why. */
    static final class BadPath extends Exception {
        private static final long serialVersionUID = 1L;

        BadPath(String message) {
            super(message);
        }
    }

    private ConfigPath() {
    }

    /**
     * Resolves {@code tokens}. {@code valueWanted}: a leaf must be followed by its value (set);
     * otherwise a value after a leaf-list names one of its entries (delete) and nothing may
     * follow a leaf.
     */
    static Resolved resolve(Schema schema, List<String> tokens, boolean valueWanted) throws BadPath {
        if (tokens.isEmpty()) {
            throw new BadPath("a path is needed, e.g. " + examples(schema));
        }
        List<Step> steps = new ArrayList<>();
        SchemaNode node = top(schema, tokens.get(0));
        int i = 1;
        String value = null;
        while (true) {
            Map<String, String> keys = new LinkedHashMap<>();
            if (node.kind() == SchemaNode.Kind.LIST) {
                for (String k : node.keys()) {
                    if (i >= tokens.size()) {
                        steps.add(new Step(node, keys));
                        if (keys.isEmpty()) {
                            return new Resolved(steps, null); // the whole list (show, delete)
                        }
                        throw new BadPath(words(steps) + ": the " + k + " is missing");
                    }
                    keys.put(k, tokens.get(i++));
                }
            }
            steps.add(new Step(node, keys));
            if (node.kind() == SchemaNode.Kind.LEAF || node.kind() == SchemaNode.Kind.LEAF_LIST) {
                if (i < tokens.size()) {
                    value = tokens.get(i++);
                } else if (valueWanted) {
                    throw new BadPath(words(steps) + ": a value is needed" + hint(node));
                }
                if (i < tokens.size()) {
                    throw new BadPath(words(steps) + " takes one value, not '" + String.join(" ", tokens.subList(i - 1, tokens.size())) + "'");
                }
                if (value != null && node.kind() == SchemaNode.Kind.LEAF && !valueWanted) {
                    throw new BadPath(words(steps) + " is a leaf: name it without a value");
                }
                return new Resolved(steps, value);
            }
            if (i >= tokens.size()) {
                if (valueWanted) {
                    throw new BadPath(words(steps) + " is not a leaf: name one of " + childNames(node));
                }
                return new Resolved(steps, null);
            }
            String name = tokens.get(i++);
            SchemaNode child = child(node, name);
            if (child == null) {
                throw new BadPath(words(steps) + " has no '" + name + "': one of " + childNames(node));
            }
            node = child;
        }
    }

    /** The config data children of {@code node} by name (through choices and cases). */
    static SchemaNode child(SchemaNode node, String name) {
        for (SchemaNode c : node.dataChildren()) {
            if (c.config() && c.name().equals(name)) {
                return c;
            }
        }
        return null;
    }

    static List<String> childNames(SchemaNode node) {
        return node.dataChildren().stream().filter(SchemaNode::config).map(SchemaNode::name).toList();
    }

    /** The top-level config node named {@code token} ({@code module:name} or a name only one module has). */
    static SchemaNode top(Schema schema, String token) throws BadPath {
        int colon = token.indexOf(':');
        String module = colon < 0 ? null : token.substring(0, colon);
        String name = colon < 0 ? token : token.substring(colon + 1);
        List<SchemaNode> found = schema.tops().stream().filter(SchemaNode::config).filter(t -> t.name().equals(name))
                .filter(t -> module == null || t.module().equals(module)).toList();
        if (found.size() == 1) {
            return found.get(0);
        }
        if (found.isEmpty()) {
            throw new BadPath("no configuration named '" + token + "': one of " + tops(schema));
        }
        throw new BadPath("'" + name + "' is in " + found.stream().map(SchemaNode::module).toList() + ": say which, e.g. "
                + found.get(0).module() + ":" + name);
    }

    static List<String> tops(Schema schema) {
        return schema.tops().stream().filter(SchemaNode::config).map(SchemaNode::name).distinct().toList();
    }

    private static String examples(Schema schema) {
        return String.join(", ", tops(schema));
    }

    private static String words(List<Step> steps) {
        return new Resolved(steps, null).words();
    }

    private static String hint(SchemaNode leaf) {
        List<String> e = leaf.type() == null ? List.of() : leaf.type().enumNames();
        if (!e.isEmpty()) {
            return " (one of " + String.join(", ", e) + ")";
        }
        return leaf.type() != null && "boolean".equals(leaf.type().builtin()) ? " (true or false)" : "";
    }

    // ---- XML ----

    /** The {@code <config>} of an edit-config that sets the path's leaf to its value (or adds the list entry or leaf-list value). */
    static String setXml(Resolved p) {
        return "<config>" + xml(p, "") + "</config>";
    }

    /** The {@code <config>} of an edit-config that deletes the path's node (an entry of a leaf-list when a value is given). */
    static String deleteXml(Resolved p) {
        return "<config xmlns:nc=\"" + NetconfClient.NC + "\">" + xml(p, " nc:operation=\"delete\"") + "</config>";
    }

    /** A subtree filter that selects the path's node. */
    static String filterXml(Resolved p) {
        return "<filter type=\"subtree\">" + xml(p, "") + "</filter>";
    }

    private static String xml(Resolved p, String targetAttributes) {
        StringBuilder open = new StringBuilder();
        StringBuilder close = new StringBuilder();
        List<Step> steps = p.steps();
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            boolean last = i == steps.size() - 1;
            String ns = i == 0 || !s.node().namespace().equals(steps.get(i - 1).node().namespace())
                    ? " xmlns=\"" + Text.escape(s.node().namespace()) + "\"" : "";
            String name = s.node().name();
            open.append('<').append(name).append(ns).append(last ? targetAttributes : "").append('>');
            s.keys().forEach((k, v) -> open.append('<').append(k).append('>').append(Text.escape(v)).append("</").append(k).append('>'));
            if (last && p.value() != null) {
                open.append(Text.escape(p.value()));
            }
            close.insert(0, "</" + name + ">");
        }
        return open.append(close).toString();
    }
}
