package org.besip.netconf.internal.ops;

import java.util.ArrayList;
import java.util.List;

import org.besip.netconf.internal.yang.DataTrees;
import org.besip.netconf.internal.yang.Schema;
import org.besip.netconf.internal.yang.SchemaNode;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * RFC 6241 §6 subtree filtering: containment nodes, selection nodes and content match nodes;
 * a filter element without a namespace matches any namespace (§6.2.1). List entries that are
 * returned carry their keys.
 */
public final class SubtreeFilter {

    private SubtreeFilter() {
    }

    /** Copies into {@code out} what of {@code source}'s children the filter's children select. */
    public static void apply(Schema schema, Element source, Element filter, Element out) {
        select(schema.root(), source, DataTrees.children(filter), out);
    }

    private static void select(SchemaNode schemaParent, Element source, List<Element> filters, Element out) {
        Document doc = out.getOwnerDocument();
        List<Element> contentMatches = new ArrayList<>();
        List<Element> others = new ArrayList<>();
        for (Element f : filters) {
            if (DataTrees.children(f).isEmpty() && !f.getTextContent().trim().isEmpty()) {
                contentMatches.add(f);
            } else {
                others.add(f);
            }
        }
        for (Element f : contentMatches) {
            if (!matchesContent(source, f)) {
                return;
            }
        }
        if (others.isEmpty() && !contentMatches.isEmpty()) {
            // only content match nodes: the whole parent is selected
            for (Element c : DataTrees.children(source)) {
                out.appendChild(doc.importNode(c, true));
            }
            return;
        }
        for (Element c : DataTrees.children(source)) {
            for (Element f : contentMatches) {
                if (sameName(c, f)) {
                    out.appendChild(doc.importNode(c, true));
                }
            }
        }
        for (Element f : others) {
            for (Element c : DataTrees.children(source)) {
                if (!sameName(c, f)) {
                    continue;
                }
                SchemaNode s = schemaParent == null ? null : schemaParent.dataChild(DataTrees.nsOf(c), c.getLocalName());
                if (DataTrees.children(f).isEmpty()) {
                    out.appendChild(doc.importNode(c, true)); // selection node
                    continue;
                }
                Element copy = (Element) doc.importNode(c, false);
                select(s, c, DataTrees.children(f), copy);
                if (copy.hasChildNodes()) {
                    if (s != null && s.kind() == SchemaNode.Kind.LIST) {
                        withKeys(s, c, copy);
                    }
                    out.appendChild(copy);
                }
            }
        }
    }

    private static void withKeys(SchemaNode list, Element source, Element copy) {
        org.w3c.dom.Node first = copy.getFirstChild();
        for (String k : list.keys()) {
            if (DataTrees.child(copy, list.namespace(), k) == null) {
                Element key = DataTrees.child(source, list.namespace(), k);
                if (key != null) {
                    copy.insertBefore(copy.getOwnerDocument().importNode(key, true), first);
                }
            }
        }
    }

    private static boolean matchesContent(Element source, Element f) {
        for (Element c : DataTrees.children(source)) {
            if (sameName(c, f) && c.getTextContent().trim().equals(f.getTextContent().trim())) {
                return true;
            }
        }
        return false;
    }

    private static boolean sameName(Element data, Element filter) {
        String fns = filter.getNamespaceURI();
        return data.getLocalName().equals(filter.getLocalName())
                && (fns == null || fns.isEmpty() || fns.equals(data.getNamespaceURI()));
    }
}
