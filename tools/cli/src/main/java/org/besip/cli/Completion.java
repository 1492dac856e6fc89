package org.besip.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import org.besip.netconf.internal.yang.Schema;
import org.besip.netconf.internal.yang.SchemaNode;

/**
 * What may come next on a command line, from the schema: the commands, then for a path the
 * node names, the keys a list has in the configuration ({@code existing}), the values of an
 * enumeration or a boolean. Pure: the caller gives the words typed so far and the configuration's
 * keys.
 */
final class Completion {

    static final List<String> COMMANDS = List.of("show", "set", "delete", "compare", "commit", "confirm", "discard", "rollback", "module",
            "help", "exit");
    static final List<String> MODULE_VERBS = List.of("list", "install", "upgrade", "enable", "disable", "remove");

    /** The keys a list has now: the list's node and the keys of its ancestors' entries on the path. */
    interface Existing extends Function<ConfigPath.Resolved, List<String>> {
    }

    private Completion() {
    }

    /** Candidates for the word after {@code words} (the complete words before the cursor). */
    static List<String> next(Schema schema, List<String> words, Existing existing) {
        if (words.isEmpty()) {
            return COMMANDS;
        }
        String cmd = words.get(0);
        List<String> rest = words.subList(1, words.size());
        switch (cmd) {
            case "set", "delete" -> {
                return path(schema, rest, existing, cmd.equals("set"));
            }
            case "show" -> {
                List<String> r = rest;
                List<String> out = new ArrayList<>();
                if (r.isEmpty()) {
                    out.addAll(List.of("running", "candidate"));
                } else if (r.get(0).equals("running") || r.get(0).equals("candidate")) {
                    r = r.subList(1, r.size());
                }
                out.addAll(path(schema, r, existing, false));
                if (!r.isEmpty()) {
                    out.add("xml");
                }
                return out;
            }
            case "commit" -> {
                return rest.isEmpty() ? List.of("confirmed") : List.of();
            }
            case "module" -> {
                return rest.isEmpty() ? MODULE_VERBS : List.of();
            }
            default -> {
                return List.of();
            }
        }
    }

    private static List<String> path(Schema schema, List<String> tokens, Existing existing, boolean set) {
        if (tokens.isEmpty()) {
            return ConfigPath.tops(schema);
        }
        SchemaNode node;
        try {
            node = ConfigPath.top(schema, tokens.get(0));
        } catch (ConfigPath.BadPath e) {
            return List.of();
        }
        List<String> done = new ArrayList<>(List.of(tokens.get(0)));
        int i = 1;
        while (true) {
            if (node.kind() == SchemaNode.Kind.LIST) {
                int k = 0;
                while (k < node.keys().size() && i < tokens.size()) {
                    done.add(tokens.get(i++));
                    k++;
                }
                if (k < node.keys().size()) {
                    try {
                        return existing.apply(ConfigPath.resolve(schema, done, false)); // the entries there are
                    } catch (ConfigPath.BadPath e) {
                        return List.of();
                    }
                }
            }
            if (node.kind() == SchemaNode.Kind.LEAF || node.kind() == SchemaNode.Kind.LEAF_LIST) {
                if (i < tokens.size()) {
                    return List.of();
                }
                List<String> e = node.type() == null ? List.of() : node.type().enumNames();
                if (!e.isEmpty()) {
                    return e;
                }
                return node.type() != null && "boolean".equals(node.type().builtin()) ? List.of("true", "false") : List.of();
            }
            if (i >= tokens.size()) {
                return ConfigPath.childNames(node);
            }
            SchemaNode child = ConfigPath.child(node, tokens.get(i));
            if (child == null) {
                return List.of();
            }
            done.add(tokens.get(i++));
            node = child;
        }
    }
}
