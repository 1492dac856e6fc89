package org.besip.netconf.internal.yang;

import java.util.List;
import java.util.Optional;

/**
 * One YANG statement: keyword, optional argument, sub-statements (RFC 7950 §6.3), with where it
 * was written so that every error can name file, line and column.
 */
public record Statement(String keyword, String argument, List<Statement> children, String source, int line,
        int column) {

    public Statement {
        children = List.copyOf(children);
    }

    public Optional<Statement> first(String kw) {
        return children.stream().filter(c -> c.keyword.equals(kw)).findFirst();
    }

    public List<Statement> all(String kw) {
        return children.stream().filter(c -> c.keyword.equals(kw)).toList();
    }

    public String arg(String kw) {
        return first(kw).map(Statement::argument).orElse(null);
    }

    public String where() {
        return source + ":" + line + ":" + column;
    }
}
