package org.besip.netconf.internal.ops;

import java.util.HashMap;
import java.util.Map;

import javax.xml.xpath.XPathExpressionException;

import org.besip.netconf.internal.protocol.RpcError;
import org.besip.netconf.internal.yang.DataTrees;
import org.besip.netconf.internal.yang.Schema;
import org.besip.netconf.internal.yang.SchemaNode;
import org.besip.netconf.internal.yang.XPathSupport;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The :xpath capability (RFC 6241 §8.9) for location paths: the selected nodes are returned with
 * their ancestors, prefixes resolved from the namespace declarations on the filter element.
 */
final class XPathFilter {

    private XPathFilter() {
    }

    static void apply(Schema schema, Element filter, Element data, Element out) throws RpcError {
        String select = filter.getAttribute("select");
        if (select.isEmpty()) {
            throw new RpcError("protocol", "missing-attribute", null, null, "select", "an xpath filter needs a select attribute");
        }
        Map<String, String> prefixes = new HashMap<>();
        for (Node n = filter; n instanceof Element e; n = n.getParentNode()) {
            var attrs = e.getAttributes();
            for (int i = 0; i < attrs.getLength(); i++) {
                var a = attrs.item(i);
                if ("http://www.w3.org/2000/xmlns/".equals(a.getNamespaceURI()) && a.getLocalName() != null
                        && !a.getLocalName().equals("xmlns")) {
                    prefixes.putIfAbsent(a.getLocalName(), a.getNodeValue());
                }
            }
        }
        NodeList nodes;
        try {
            nodes = XPathSupport.select(select, prefixes, "", data);
        } catch (XPathExpressionException e) {
            throw RpcError.protocol("invalid-value", "xpath filter \"" + select + "\" cannot be evaluated: " + e.getMessage());
        }
        Document doc = out.getOwnerDocument();
        for (int i = 0; i < nodes.getLength(); i++) {
            Node n = nodes.item(i);
            if (!(n instanceof Element selected) || n == data) {
                continue;
            }
            // rebuild the path from the top-level node down to the selected node
            java.util.Deque<Element> chain = new java.util.ArrayDeque<>();
            for (Node p = selected; p != null && p != data; p = p.getParentNode()) {
                chain.push((Element) p);
            }
            Element at = out;
            SchemaNode sn = schema.root();
            while (!chain.isEmpty()) {
                Element src = chain.pop();
                sn = sn == null ? null : sn.dataChild(DataTrees.nsOf(src), src.getLocalName());
                if (chain.isEmpty()) {
                    at.appendChild(doc.importNode(src, true));
                    break;
                }
                Element existing = null;
                for (Element c : DataTrees.children(at)) {
                    if (c.getUserData("besip.src") == src) {
                        existing = c;
                    }
                }
                if (existing == null) {
                    existing = (Element) doc.importNode(src, false);
                    existing.setUserData("besip.src", src, null);
                    if (sn != null && sn.kind() == SchemaNode.Kind.LIST) {
                        for (String k : sn.keys()) {
                            Element key = DataTrees.child(src, sn.namespace(), k);
                            if (key != null && key != chain.peekLast()) {
                                existing.appendChild(doc.importNode(key, true));
                            }
                        }
                    }
                    at.appendChild(existing);
                }
                at = existing;
            }
        }
    }
}
