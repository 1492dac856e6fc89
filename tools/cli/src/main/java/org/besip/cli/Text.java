package org.besip.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.besip.netconf.internal.yang.Schema;
import org.besip.netconf.internal.yang.SchemaNode;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Configuration as text, the way network operators read it (Junos {@code show configuration}):
 * a container or list entry is a block in braces (a list entry named by its keys), a leaf a line
 * ending in a semicolon, a leaf-list one line per value. Secrets (leaves named password, or
 * password-hash) are shown as {@code "****"}. Pure.
 */
final class Text {

    private Text() {
    }

    /** The {@code <data>} element's configuration, under {@code schema}. */
    static String render(Schema schema, Element data) {
        List<String> lines = new ArrayList<>();
        for (Element e : children(data)) {
            SchemaNode n = schema.top(e.getNamespaceURI(), e.getLocalName());
            block(lines, e, n, "");
        }
        return lines.isEmpty() ? "" : String.join("\n", lines) + "\n";
    }

    private static void block(List<String> lines, Element e, SchemaNode n, String indent) {
        if (n == null) {
            lines.add(indent + "/* " + e.getLocalName() + ": not in the schema */");
            return;
        }
        switch (n.kind()) {
            case LEAF, LEAF_LIST -> lines.add(indent + n.name() + " " + value(n, e.getTextContent().trim()) + ";");
            case LIST -> {
                StringBuilder head = new StringBuilder(indent + n.name());
                for (String k : n.keys()) {
                    Element key = child(e, k);
                    head.append(' ').append(quote(key == null ? "" : key.getTextContent().trim()));
                }
                List<String> inner = new ArrayList<>();
                for (Element c : children(e)) {
                    if (!n.keys().contains(c.getLocalName())) {
                        block(inner, c, childNode(n, c), indent + "    ");
                    }
                }
                if (inner.isEmpty()) {
                    lines.add(head + ";");
                } else {
                    lines.add(head + " {");
                    lines.addAll(inner);
                    lines.add(indent + "}");
                }
            }
            default -> {
                List<String> inner = new ArrayList<>();
                for (Element c : children(e)) {
                    block(inner, c, childNode(n, c), indent + "    ");
                }
                if (inner.isEmpty()) {
                    lines.add(indent + n.name() + ";");
                } else {
                    lines.add(indent + n.name() + " {");
                    lines.addAll(inner);
                    lines.add(indent + "}");
                }
            }
        }
    }

    private static SchemaNode childNode(SchemaNode n, Element c) {
        SchemaNode s = n.dataChild(c.getNamespaceURI(), c.getLocalName());
        return s;
    }

    private static String value(SchemaNode leaf, String v) {
        String name = leaf.name().toLowerCase(Locale.ROOT);
        if (name.equals("password") || name.endsWith("-password") || name.equals("password-hash") || name.equals("secret")) {
            return "\"****\"";
        }
        return quote(v);
    }

    /** A value as the CLI reads it back: bare when it is one plain word, else in double quotes with \ and " escaped. */
    static String quote(String v) {
        if (!v.isEmpty() && v.chars().allMatch(c -> Character.isLetterOrDigit(c) || "._:/@+-*".indexOf(c) >= 0)) {
            return v;
        }
        return "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** XML text and attribute escaping. */
    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /**
     * Splits a command line into words: blanks separate them, double quotes group (with \" and
     * \\ inside). @throws IllegalArgumentException an unterminated quote
     */
    static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder w = null;
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '\\' && i + 1 < line.length()) {
                    w.append(line.charAt(++i));
                } else if (c == '"') {
                    quoted = false;
                } else {
                    w.append(c);
                }
            } else if (c == '"') {
                w = w == null ? new StringBuilder() : w;
                quoted = true;
            } else if (Character.isWhitespace(c)) {
                if (w != null) {
                    out.add(w.toString());
                    w = null;
                }
            } else {
                w = w == null ? new StringBuilder() : w;
                w.append(c);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("a quote is not closed");
        }
        if (w != null) {
            out.add(w.toString());
        }
        return out;
    }

    /**
     * The lines of {@code after} against {@code before}: kept ones indented two spaces, removed
     * ones after "- ", added ones after "+ " (a longest common subsequence); empty when equal.
     */
    static String diff(String before, String after) {
        String[] a = before.isEmpty() ? new String[0] : before.split("\n");
        String[] b = after.isEmpty() ? new String[0] : after.split("\n");
        int[][] l = new int[a.length + 1][b.length + 1];
        for (int i = a.length - 1; i >= 0; i--) {
            for (int j = b.length - 1; j >= 0; j--) {
                l[i][j] = a[i].equals(b[j]) ? l[i + 1][j + 1] + 1 : Math.max(l[i + 1][j], l[i][j + 1]);
            }
        }
        StringBuilder out = new StringBuilder();
        boolean changed = false;
        int i = 0;
        int j = 0;
        while (i < a.length || j < b.length) {
            if (i < a.length && j < b.length && a[i].equals(b[j])) {
                out.append("  ").append(a[i]).append('\n');
                i++;
                j++;
            } else if (i < a.length && (j == b.length || l[i + 1][j] >= l[i][j + 1])) {
                out.append("- ").append(a[i++]).append('\n');
                changed = true;
            } else {
                out.append("+ ").append(b[j++]).append('\n');
                changed = true;
            }
        }
        return changed ? out.toString() : "";
    }

    static List<Element> children(Element e) {
        List<Element> out = new ArrayList<>();
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c) {
                out.add(c);
            }
        }
        return out;
    }

    static Element child(Element e, String name) {
        for (Element c : children(e)) {
            if (c.getLocalName().equals(name)) {
                return c;
            }
        }
        return null;
    }
}
