package org.besip.netconf.internal.yang;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Every loaded YANG module, compiled together: top-level data nodes, RPCs, identities. */
public final class Schema {

    /** What the registry and ietf-yang-library need to say about one module. */
    public record ModuleInfo(String name, String revision, String namespace, String prefix, String source, String text) {
    }

    final Map<String, ModuleInfo> modules = new LinkedHashMap<>();
    /** A root holding the top-level data nodes of all modules as children. */
    final SchemaNode root = new SchemaNode(SchemaNode.Kind.CONTAINER, "", "", "");
    final Map<String, SchemaNode> rpcs = new LinkedHashMap<>();
    final Map<String, SchemaNode> notifications = new LinkedHashMap<>();
    /** Identity {@code ns|name} to the identities it derives from directly. */
    final Map<String, Set<String>> identityBases = new LinkedHashMap<>();

    public Collection<ModuleInfo> modules() {
        return modules.values();
    }

    public ModuleInfo moduleByNamespace(String ns) {
        return modules.values().stream().filter(m -> m.namespace().equals(ns)).findFirst().orElse(null);
    }

    public ModuleInfo module(String name) {
        return modules.get(name);
    }

    public SchemaNode root() {
        return root;
    }

    public SchemaNode top(String namespace, String name) {
        return root.dataChild(namespace, name);
    }

    public List<SchemaNode> tops() {
        return root.dataChildren();
    }

    public SchemaNode rpc(String namespace, String name) {
        return rpcs.get(SchemaNode.key(namespace, name));
    }

    /** Every identity ({@code ns|name}) derived from {@code base}, in definition order: an identityref's values. */
    public List<String> derivedIdentities(String base) {
        return identityBases.keySet().stream().filter(id -> derivesFrom(id, base)).toList();
    }

    /** Whether identity {@code id} is {@code base} or derived from it (both {@code ns|name}). */
    public boolean derivesFrom(String id, String base) {
        if (!identityBases.containsKey(id)) {
            return false;
        }
        if (id.equals(base)) {
            return false; // RFC 7950 §9.10.2: the value must be derived from the base, not the base itself
        }
        java.util.Deque<String> todo = new java.util.ArrayDeque<>(identityBases.get(id));
        Set<String> seen = new java.util.HashSet<>();
        while (!todo.isEmpty()) {
            String b = todo.pop();
            if (b.equals(base)) {
                return true;
            }
            if (seen.add(b)) {
                todo.addAll(identityBases.getOrDefault(b, Set.of()));
            }
        }
        return false;
    }
}
