package org.besip.security.internal.rules;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads rules in Snort 2.9 syntax, the subset SIP protection needs (see {@link Rule}), with
 * {@code var}/{@code ipvar}/{@code portvar} definitions, comments and {@code \} line continuations.
 * A rule that cannot be read is reported as a {@link Problem} with file, line and column, and the
 * others still load. Bounds keep absurd rules out: counts up to 1 000 000, windows up to a day,
 * blocks up to a year, 32 contents of at most 1024 bytes.
 */
public final class RuleParser {

    /** What went wrong where; {@code column} is 1-based in the rule's first line (continuations joined). */
    public record Problem(String file, int line, int column, String message) {
        @Override
        public String toString() {
            return file + ":" + line + ":" + column + ": " + message;
        }
    }

    /** The rules read and the problems met. */
    public record Result(List<Rule> rules, List<Problem> problems) {
    }

    static final int MAX_COUNT = 1_000_000;
    static final int MAX_SECONDS = 86_400;
    static final long MAX_BLOCK_SECONDS = 366L * 86_400;
    static final int MAX_CONTENTS = 32;
    static final int MAX_CONTENT_BYTES = 1024;

    private static final Pattern VAR = Pattern.compile("\\$([A-Za-z_][A-Za-z0-9_]*)");
    private static final Pattern DURATION = Pattern.compile(
            "(\\d{1,9})\\s*(s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hour|hours|d|day|days|w|week|weeks|month|months|y|year|years)?");

    private final Map<String, String> vars;

    /** @param vars variables known before the text is read ({@code EXTERNAL_NET} → {@code any}, …); the text may add more */
    public RuleParser(Map<String, String> vars) {
        this.vars = new HashMap<>(vars);
    }

    public Result parse(String text, String file) {
        List<Rule> rules = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int first = i + 1;
            StringBuilder logical = new StringBuilder(lines[i]);
            while (logical.length() > 0 && logical.charAt(logical.length() - 1) == '\\' && i + 1 < lines.length) {
                logical.setLength(logical.length() - 1);
                logical.append(lines[++i]);
            }
            String line = logical.toString();
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            int indent = line.indexOf(trimmed.charAt(0));
            try {
                Rule r = rule(line, indent, file + ":" + first);
                if (r != null) {
                    rules.add(r);
                }
            } catch (ParseError e) {
                problems.add(new Problem(file, first, e.column + 1, e.getMessage()));
            }
        }
        return new Result(rules, problems);
    }

    private static final class ParseError extends Exception {
        private static final long serialVersionUID = 1L;
        final int column;

        ParseError(int column, String message) {
            super(message, null, false, false);
            this.column = column;
        }
    }

    private Rule rule(String line, int start, String origin) throws ParseError {
        String[] head = line.substring(start).split("\\s+", 3);
        String keyword = head[0].toLowerCase(Locale.ROOT);
        if (keyword.equals("var") || keyword.equals("ipvar") || keyword.equals("portvar")) {
            if (head.length < 3 || !head[1].matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new ParseError(start, "a variable needs a name and a value: " + keyword + " NAME VALUE");
            }
            vars.put(head[1], expand(head[2].strip(), line.indexOf(head[2], start)));
            return null;
        }
        int open = line.indexOf('(', start);
        int close = line.lastIndexOf(')');
        if (open < 0 || close < open) {
            throw new ParseError(open < 0 ? line.length() : close, "a rule needs its options in ( ... )");
        }
        if (!line.substring(close + 1).isBlank()) {
            throw new ParseError(close + 1, "text after the closing parenthesis");
        }
        // header: action proto src sport dir dst dport
        List<int[]> spans = new ArrayList<>();
        Matcher tok = Pattern.compile("\\S+").matcher(line);
        tok.region(start, open);
        while (tok.find()) {
            spans.add(new int[] {tok.start(), tok.end()});
        }
        if (spans.size() != 7) {
            throw new ParseError(start, "a rule header is: action protocol source port direction destination port (found "
                    + spans.size() + " words)");
        }
        String[] h = new String[7];
        for (int i = 0; i < 7; i++) {
            h[i] = line.substring(spans.get(i)[0], spans.get(i)[1]);
        }
        Rule.Action action = switch (h[0].toLowerCase(Locale.ROOT)) {
            case "alert" -> Rule.Action.ALERT;
            case "drop", "sdrop", "reject" -> Rule.Action.DROP;
            case "pass" -> Rule.Action.PASS;
            default -> throw new ParseError(spans.get(0)[0], "unknown action " + h[0] + " (alert, drop or pass)");
        };
        String proto = h[1].toLowerCase(Locale.ROOT);
        if (!proto.equals("udp") && !proto.equals("tcp") && !proto.equals("ip")) {
            throw new ParseError(spans.get(1)[0], "unknown protocol " + h[1] + " (udp, tcp or ip)");
        }
        AddressSet src = addresses(h[2], spans.get(2)[0]);
        PortSet sport = ports(h[3], spans.get(3)[0]);
        boolean bidi;
        if (h[4].equals("->")) {
            bidi = false;
        } else if (h[4].equals("<>")) {
            bidi = true;
        } else {
            throw new ParseError(spans.get(4)[0], "direction must be -> or <>, not " + h[4]);
        }
        AddressSet dst = addresses(h[5], spans.get(5)[0]);
        PortSet dport = ports(h[6], spans.get(6)[0]);

        String msg = null;
        List<Rule.Content> contents = new ArrayList<>();
        Rule.Pcre pcre = null;
        Rule.Flags flags = null;
        Rule.Filter filter = null;
        Rule.Threshold threshold = null;
        String classtype = null;
        long sid = -1;
        int rev = 1;
        Rule.Fwsam fwsam = null;
        for (int[] o : options(line, open + 1, close)) {
            String opt = line.substring(o[0], o[1]).strip();
            if (opt.isEmpty()) {
                continue;
            }
            int col = o[0] + (line.substring(o[0], o[1]).length() - line.substring(o[0], o[1]).stripLeading().length());
            int colon = opt.indexOf(':');
            String name = (colon < 0 ? opt : opt.substring(0, colon)).strip().toLowerCase(Locale.ROOT);
            String value = colon < 0 ? null : opt.substring(colon + 1).strip();
            switch (name) {
                case "msg" -> msg = unquote(need(value, name, col), col);
                case "content" -> {
                    if (contents.size() >= MAX_CONTENTS) {
                        throw new ParseError(col, "more than " + MAX_CONTENTS + " contents");
                    }
                    String v = need(value, name, col);
                    boolean neg = v.startsWith("!");
                    contents.add(new Rule.Content(contentBytes(unquote(neg ? v.substring(1).strip() : v, col), col), neg, false, -1, -1, Rule.Content.NO_DISTANCE, -1));
                }
                case "nocase", "offset", "depth", "distance", "within" -> {
                    if (contents.isEmpty()) {
                        throw new ParseError(col, name + " must follow a content");
                    }
                    Rule.Content c = contents.remove(contents.size() - 1);
                    int n = name.equals("nocase") ? 0 : number(need(value, name, col), name.equals("distance") ? -65535 : 0, 65535, name, col);
                    contents.add(switch (name) {
                        case "nocase" -> new Rule.Content(c.bytes(), c.negated(), true, c.offset(), c.depth(), c.distance(), c.within());
                        case "offset" -> new Rule.Content(c.bytes(), c.negated(), c.nocase(), n, c.depth(), c.distance(), c.within());
                        case "depth" -> new Rule.Content(c.bytes(), c.negated(), c.nocase(), c.offset(), n, c.distance(), c.within());
                        case "distance" -> new Rule.Content(c.bytes(), c.negated(), c.nocase(), c.offset(), c.depth(), n, c.within());
                        default -> new Rule.Content(c.bytes(), c.negated(), c.nocase(), c.offset(), c.depth(), c.distance(), n);
                    });
                    Rule.Content now = contents.get(contents.size() - 1);
                    if ((now.offset() >= 0 || now.depth() >= 0) && now.relative()) {
                        throw new ParseError(col, "offset/depth and distance/within cannot be mixed on one content");
                    }
                    if (now.depth() >= 0 && now.depth() < now.bytes().length || now.within() >= 0 && now.within() < now.bytes().length) {
                        throw new ParseError(col, name + " is shorter than the content it limits");
                    }
                }
                case "rawbytes", "fast_pattern" -> {
                    // accepted for compatibility: besip has no normalised buffers, every content is matched raw
                }
                case "pcre" -> pcre = pcre(need(value, name, col), col);
                case "flags" -> {
                    if (!proto.equals("tcp")) {
                        throw new ParseError(col, "flags is for tcp rules");
                    }
                    flags = flags(need(value, name, col), col);
                }
                case "detection_filter" -> filter = filter(need(value, name, col), col);
                case "threshold" -> threshold = threshold(need(value, name, col), col);
                case "classtype" -> classtype = need(value, name, col);
                case "sid" -> sid = number(need(value, name, col), 1, Integer.MAX_VALUE, name, col);
                case "rev" -> rev = number(need(value, name, col), 1, Integer.MAX_VALUE, name, col);
                case "gid", "priority", "reference", "metadata" -> {
                    // informational
                }
                case "fwsam" -> fwsam = fwsam(need(value, name, col), col);
                default -> throw new ParseError(col, "unknown or unsupported option " + name);
            }
        }
        if (sid < 0) {
            throw new ParseError(open, "a rule needs a sid");
        }
        return new Rule(action, proto, src, sport, bidi, dst, dport, msg == null ? "sid " + sid : msg, List.copyOf(contents), pcre, flags, filter,
                threshold, classtype, sid, rev, fwsam, origin, line.strip());
    }

    /** The spans of the options between {@code from} and {@code to}: split on ';' outside quotes, honouring backslash escapes. */
    private static List<int[]> options(String line, int from, int to) throws ParseError {
        List<int[]> out = new ArrayList<>();
        boolean quoted = false;
        int start = from;
        for (int i = from; i < to; i++) {
            char c = line.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (c == ';' && !quoted) {
                out.add(new int[] {start, i});
                start = i + 1;
            }
        }
        if (quoted) {
            throw new ParseError(start, "unterminated quoted string");
        }
        if (!line.substring(start, to).isBlank()) {
            out.add(new int[] {start, to}); // Snort wants the last ';' too; be lenient
        }
        return out;
    }

    private String expand(String value, int col) throws ParseError {
        Matcher m = VAR.matcher(value);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String v = vars.get(m.group(1));
            if (v == null) {
                throw new ParseError(col + m.start(), "undefined variable $" + m.group(1));
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(v));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private AddressSet addresses(String text, int col) throws ParseError {
        String v = expand(text, col);
        try {
            return AddressSet.parse(v);
        } catch (IllegalArgumentException e) {
            throw new ParseError(col, e.getMessage());
        }
    }

    private PortSet ports(String text, int col) throws ParseError {
        String v = expand(text, col);
        try {
            return PortSet.parse(v);
        } catch (IllegalArgumentException e) {
            throw new ParseError(col, e.getMessage());
        }
    }

    private static String need(String value, String name, int col) throws ParseError {
        if (value == null || value.isEmpty()) {
            throw new ParseError(col, name + " needs a value");
        }
        return value;
    }

    private static String unquote(String v, int col) throws ParseError {
        if (v.length() < 2 || !v.startsWith("\"") || !v.endsWith("\"")) {
            throw new ParseError(col, "expected a quoted string: " + v);
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i < v.length() - 1; i++) {
            char c = v.charAt(i);
            if (c == '\\' && i + 1 < v.length() - 1 && "\";\\:".indexOf(v.charAt(i + 1)) >= 0) {
                c = v.charAt(++i); // Snort's escapes: \" \; \\ \: ; any other backslash stays (a pcre's \s)
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /** Text with {@code |0D 0A|} hex runs, as bytes. */
    private static byte[] contentBytes(String text, int col) throws ParseError {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean hex = false;
        StringBuilder digits = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '|') {
                if (hex && digits.length() % 2 != 0) {
                    throw new ParseError(col, "odd number of hex digits in content");
                }
                for (int j = 0; hex && j < digits.length(); j += 2) {
                    out.write(Integer.parseInt(digits.substring(j, j + 2), 16));
                }
                digits.setLength(0);
                hex = !hex;
            } else if (hex) {
                if (Character.digit(c, 16) >= 0) {
                    digits.append(c);
                } else if (c != ' ') {
                    throw new ParseError(col, "not a hex digit in content: " + c);
                }
            } else {
                if (c > 0xff) {
                    throw new ParseError(col, "content is bytes: use |..| for characters beyond Latin-1");
                }
                out.write(c);
            }
        }
        if (hex) {
            throw new ParseError(col, "unterminated |hex| in content");
        }
        if (out.size() == 0 || out.size() > MAX_CONTENT_BYTES) {
            throw new ParseError(col, "content must be 1 to " + MAX_CONTENT_BYTES + " bytes");
        }
        return out.toByteArray();
    }

    private static int number(String v, int min, int max, String name, int col) throws ParseError {
        try {
            long n = Long.parseLong(v.strip());
            if (n >= min && n <= max) {
                return (int) n;
            }
        } catch (NumberFormatException e) {
            throw new ParseError(col, name + " must be a number, not " + v);
        }
        throw new ParseError(col, name + " must be between " + min + " and " + max + ", not " + v);
    }

    private static Rule.Pcre pcre(String v, int col) throws ParseError {
        boolean neg = v.startsWith("!");
        String q = unquote(neg ? v.substring(1).strip() : v, col);
        int last = q.lastIndexOf('/');
        if (!q.startsWith("/") || last <= 0) {
            throw new ParseError(col, "pcre is \"/regex/flags\"");
        }
        if (last > 1024) {
            throw new ParseError(col, "pcre longer than 1024 characters");
        }
        int flags = 0;
        for (char f : q.substring(last + 1).toCharArray()) {
            flags |= switch (f) {
                case 'i' -> Pattern.CASE_INSENSITIVE;
                case 's' -> Pattern.DOTALL;
                case 'm' -> Pattern.MULTILINE;
                case 'x' -> Pattern.COMMENTS;
                default -> throw new ParseError(col, "unsupported pcre flag " + f + " (i, s, m, x)");
            };
        }
        try {
            return new Rule.Pcre(Pattern.compile(q.substring(1, last), flags), neg);
        } catch (PatternSyntaxException e) {
            throw new ParseError(col, "bad pcre: " + e.getDescription());
        }
    }

    private static int flagBits(String letters, int col) throws ParseError {
        int bits = 0;
        for (char c : letters.toUpperCase(Locale.ROOT).toCharArray()) {
            bits |= switch (c) {
                case 'F' -> 1;
                case 'S' -> 2;
                case 'R' -> 4;
                case 'P' -> 8;
                case 'A' -> 16;
                case 'U' -> 32;
                case 'E', '2' -> 64;
                case 'C', '1' -> 128;
                case '0' -> 0;
                default -> throw new ParseError(col, "flags are F S R P A U C E 0, not " + c);
            };
        }
        return bits;
    }

    private static Rule.Flags flags(String v, int col) throws ParseError {
        String[] parts = v.split(",", 2);
        String f = parts[0].strip();
        char modifier = ' ';
        if (!f.isEmpty() && "+*!".indexOf(f.charAt(0)) >= 0) {
            modifier = f.charAt(0);
            f = f.substring(1);
        } else if (!f.isEmpty() && "+*!".indexOf(f.charAt(f.length() - 1)) >= 0) {
            modifier = f.charAt(f.length() - 1); // Snort also reads "S+"
            f = f.substring(0, f.length() - 1);
        }
        if (f.isEmpty()) {
            throw new ParseError(col, "flags needs at least one flag");
        }
        return new Rule.Flags(flagBits(f, col), modifier, parts.length > 1 ? flagBits(parts[1].strip(), col) : 0);
    }

    /** {@code track by_src, count N, seconds S} as a map, every key present. */
    private static Map<String, String> keyed(String v, List<String> keys, int col, String name) throws ParseError {
        Map<String, String> m = new HashMap<>();
        for (String part : v.split(",")) {
            String[] kv = part.strip().split("\\s+", 2);
            if (kv.length != 2 || !keys.contains(kv[0].toLowerCase(Locale.ROOT))) {
                throw new ParseError(col, name + " is " + String.join(" .., ", keys) + " ..; not " + part.strip());
            }
            m.put(kv[0].toLowerCase(Locale.ROOT), kv[1].strip());
        }
        for (String k : keys) {
            if (!m.containsKey(k)) {
                throw new ParseError(col, name + " needs " + k);
            }
        }
        return m;
    }

    private static boolean track(String v, int col) throws ParseError {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "by_src" -> true;
            case "by_dst" -> false;
            default -> throw new ParseError(col, "track is by_src or by_dst, not " + v);
        };
    }

    private static Rule.Filter filter(String v, int col) throws ParseError {
        Map<String, String> m = keyed(v, List.of("track", "count", "seconds"), col, "detection_filter");
        return new Rule.Filter(track(m.get("track"), col), number(m.get("count"), 1, MAX_COUNT, "count", col),
                number(m.get("seconds"), 1, MAX_SECONDS, "seconds", col));
    }

    private static Rule.Threshold threshold(String v, int col) throws ParseError {
        Map<String, String> m = keyed(v, List.of("type", "track", "count", "seconds"), col, "threshold");
        Rule.Threshold.Type type = switch (m.get("type").toLowerCase(Locale.ROOT)) {
            case "limit" -> Rule.Threshold.Type.LIMIT;
            case "threshold" -> Rule.Threshold.Type.THRESHOLD;
            case "both" -> Rule.Threshold.Type.BOTH;
            default -> throw new ParseError(col, "threshold type is limit, threshold or both, not " + m.get("type"));
        };
        return new Rule.Threshold(type, track(m.get("track"), col), number(m.get("count"), 1, MAX_COUNT, "count", col),
                number(m.get("seconds"), 1, MAX_SECONDS, "seconds", col));
    }

    /** SnortSam's {@code fwsam: who[, how], time}: who is src/source or dst/dest/destination; how is accepted and ignored. */
    private static Rule.Fwsam fwsam(String v, int col) throws ParseError {
        String[] parts = v.split(",");
        String who = parts[0].strip().toLowerCase(Locale.ROOT);
        boolean src = switch (who) {
            case "src", "source" -> true;
            case "dst", "dest", "destination" -> false;
            default -> throw new ParseError(col, "fwsam blocks src or dst, not " + parts[0].strip());
        };
        String time = parts.length > 1 ? parts[parts.length - 1].strip().toLowerCase(Locale.ROOT) : "0";
        if (parts.length > 3) {
            throw new ParseError(col, "fwsam is who[, how], duration");
        }
        if (parts.length == 3 || parts.length == 2 && time.matches("in|out|src|dest|either|both|this|conn|connection")) {
            if (parts.length == 2) {
                time = "0";
            }
        }
        if (time.matches("perm|permanent|inf|infinite|0")) {
            return new Rule.Fwsam(src, 0);
        }
        Matcher m = DURATION.matcher(time);
        if (!m.matches()) {
            throw new ParseError(col, "fwsam duration must be a number with s, min, hour, day, week, month or year, not " + time);
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        long factor = switch (unit.charAt(0)) {
            case 's' -> 1;
            case 'h' -> 3600;
            case 'd' -> 86_400;
            case 'w' -> 7 * 86_400;
            case 'y' -> 365 * 86_400L;
            default -> unit.startsWith("mo") ? 30 * 86_400L : 60; // m, min, minute(s) are minutes; month(s) 30 days
        };
        long seconds = n * factor;
        if (seconds < 1 || seconds > MAX_BLOCK_SECONDS) {
            throw new ParseError(col, "fwsam duration must be 1 s to a year (or permanent), not " + time);
        }
        return new Rule.Fwsam(src, seconds);
    }
}
