package org.besip.netconf.internal.yang;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses YANG 1.1 text (RFC 7950 §6) into statements: comments, unquoted, single- and
 * double-quoted strings (with escapes, indentation stripping and {@code +} concatenation),
 * blocks. Knows nothing of what keywords mean; {@link SchemaCompiler} does.
 */
public final class YangParser {

    private final String text;
    private final String source;
    private int pos;
    private int line = 1;
    private int lineStart;

    private YangParser(String text, String source) {
        this.text = text;
        this.source = source;
    }

    /** The module or submodule statement the text holds. */
    public static Statement parse(String text, String source) throws YangException {
        YangParser p = new YangParser(text, source);
        p.skipSpace();
        Statement root = p.statement();
        p.skipSpace();
        if (p.pos < p.text.length()) {
            throw p.error("text after the end of the module");
        }
        if (!root.keyword().equals("module") && !root.keyword().equals("submodule")) {
            throw new YangException(root.where() + ": expected 'module' or 'submodule', found '" + root.keyword() + "'");
        }
        return root;
    }

    private Statement statement() throws YangException {
        int l = line;
        int c = pos - lineStart + 1;
        String keyword = keyword();
        skipSpace();
        String argument = null;
        if (peek() != ';' && peek() != '{') {
            argument = argument();
            skipSpace();
        }
        List<Statement> children = new ArrayList<>();
        char ch = peek();
        if (ch == ';') {
            pos++;
        } else if (ch == '{') {
            pos++;
            while (true) {
                skipSpace();
                if (pos >= text.length()) {
                    throw error("missing '}' for '" + keyword + "' opened at line " + l);
                }
                if (peek() == '}') {
                    pos++;
                    break;
                }
                children.add(statement());
            }
        } else {
            throw error("expected ';' or '{' after '" + keyword + (argument == null ? "" : " " + argument) + "'");
        }
        return new Statement(keyword, argument, children, source, l, c);
    }

    private String keyword() throws YangException {
        int start = pos;
        while (pos < text.length()) {
            char ch = text.charAt(pos);
            if (Character.isLetterOrDigit(ch) || ch == '_' || ch == '-' || ch == '.' || ch == ':') {
                pos++;
            } else {
                break;
            }
        }
        if (start == pos) {
            throw error(pos >= text.length() ? "unexpected end of text" : "expected a keyword, found '" + text.charAt(pos) + "'");
        }
        return text.substring(start, pos);
    }

    private String argument() throws YangException {
        char ch = peek();
        if (ch != '"' && ch != '\'') {
            int start = pos;
            while (pos < text.length()) {
                char c = text.charAt(pos);
                if (Character.isWhitespace(c) || c == ';' || c == '{' || c == '}'
                        || text.startsWith("//", pos) || text.startsWith("/*", pos)) {
                    break;
                }
                pos++;
            }
            return text.substring(start, pos);
        }
        StringBuilder sb = new StringBuilder(quoted());
        while (true) {
            int save = pos;
            int saveLine = line;
            int saveStart = lineStart;
            skipSpace();
            if (peek() == '+') {
                pos++;
                skipSpace();
                if (peek() != '"' && peek() != '\'') {
                    throw error("expected a quoted string after '+'");
                }
                sb.append(quoted());
            } else {
                pos = save;
                line = saveLine;
                lineStart = saveStart;
                return sb.toString();
            }
        }
    }

    private String quoted() throws YangException {
        char q = text.charAt(pos);
        int startLine = line;
        int indent = pos - lineStart + 1;
        pos++;
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw new YangException(source + ":" + startLine + ": string not closed");
            }
            char c = text.charAt(pos++);
            if (c == q) {
                break;
            }
            if (c == '\\' && q == '"') {
                if (pos >= text.length()) {
                    throw error("string not closed");
                }
                char e = text.charAt(pos++);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case '"' -> sb.append('"');
                    case '\\' -> sb.append('\\');
                    default -> throw error("bad escape '\\" + e + "' in a double-quoted string (RFC 7950 §6.1.3)");
                }
                continue;
            }
            if (c == '\n') {
                newLine();
                if (q == '"') {
                    // RFC 7950 §6.1.3: trailing white space before a line break is dropped, and
                    // leading white space up to the column after the opening quote
                    int end = sb.length();
                    while (end > 0 && (sb.charAt(end - 1) == ' ' || sb.charAt(end - 1) == '\t')) {
                        end--;
                    }
                    sb.setLength(end);
                    sb.append('\n');
                    int col = 0;
                    while (pos < text.length() && col < indent && (text.charAt(pos) == ' ' || text.charAt(pos) == '\t')) {
                        col += text.charAt(pos) == '\t' ? 8 : 1;
                        pos++;
                    }
                    continue;
                }
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private void skipSpace() throws YangException {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '\n') {
                pos++;
                newLine();
            } else if (Character.isWhitespace(c)) {
                pos++;
            } else if (text.startsWith("//", pos)) {
                while (pos < text.length() && text.charAt(pos) != '\n') {
                    pos++;
                }
            } else if (text.startsWith("/*", pos)) {
                int end = text.indexOf("*/", pos + 2);
                if (end < 0) {
                    throw error("comment not closed");
                }
                for (int i = pos; i < end; i++) {
                    if (text.charAt(i) == '\n') {
                        line++;
                        lineStart = i + 1;
                    }
                }
                pos = end + 2;
            } else {
                return;
            }
        }
    }

    private void newLine() {
        line++;
        lineStart = pos;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private YangException error(String message) {
        return new YangException(source + ":" + line + ":" + (pos - lineStart + 1) + ": " + message);
    }
}
