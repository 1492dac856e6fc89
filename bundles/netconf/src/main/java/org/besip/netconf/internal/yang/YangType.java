package org.besip.netconf.internal.yang;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A resolved YANG type: the built-in it derives from plus every restriction collected along its
 * typedef chain (RFC 7950 §9). Checks a value's lexical form; leafref and identityref values need
 * the data tree or the schema and are checked by the validator.
 */
public final class YangType {

    /** A restriction pattern, kept with its text for error messages. */
    public record PatternRule(String text, Pattern pattern, boolean invert, String errorMessage) {
    }

    /** One range or length part, inclusive; null bound means the built-in's limit. */
    public record Interval(BigDecimal min, BigDecimal max) {
        boolean contains(BigDecimal v) {
            return (min == null || v.compareTo(min) >= 0) && (max == null || v.compareTo(max) <= 0);
        }

        @Override
        public String toString() {
            return min == null && max == null ? "any" : (min == null ? "min" : min.toPlainString()) + ".."
                    + (max == null ? "max" : max.toPlainString());
        }
    }

    private static final Map<String, BigDecimal[]> INTEGER_BOUNDS = Map.of(
            "int8", bounds(-128, 127), "int16", bounds(-32768, 32767),
            "int32", bounds(Integer.MIN_VALUE, Integer.MAX_VALUE), "int64", bounds(Long.MIN_VALUE, Long.MAX_VALUE),
            "uint8", bounds(0, 255), "uint16", bounds(0, 65535), "uint32", bounds(0, 4294967295L),
            "uint64", new BigDecimal[] { BigDecimal.ZERO, new BigDecimal(new BigInteger("18446744073709551615")) });

    public static final List<String> BUILTINS = List.of("int8", "int16", "int32", "int64", "uint8", "uint16",
            "uint32", "uint64", "decimal64", "string", "boolean", "enumeration", "bits", "binary", "leafref",
            "identityref", "empty", "union", "instance-identifier");

    final String builtin;
    final String name;
    List<Interval> ranges = List.of();
    String rangeError;
    List<Interval> lengths = List.of();
    String lengthError;
    List<PatternRule> patterns = new ArrayList<>();
    Map<String, Integer> enums = new LinkedHashMap<>();
    List<String> bits = new ArrayList<>();
    int fractionDigits;
    List<YangType> union = new ArrayList<>();
    String leafrefPath;
    boolean requireInstance = true;
    /** Base identities of an identityref, qualified as {@code namespace|name}. */
    List<String> identityBases = new ArrayList<>();
    /** Prefix to namespace of the module that wrote the leafref path, and that module's own namespace. */
    Map<String, String> prefixes = Map.of();
    String defaultNamespace = "";

    YangType(String builtin, String name) {
        this.builtin = builtin;
        this.name = name;
    }

    YangType derive(String newName) {
        YangType t = new YangType(builtin, newName);
        t.ranges = ranges;
        t.rangeError = rangeError;
        t.lengths = lengths;
        t.lengthError = lengthError;
        t.patterns = new ArrayList<>(patterns);
        t.enums = new LinkedHashMap<>(enums);
        t.bits = new ArrayList<>(bits);
        t.fractionDigits = fractionDigits;
        t.union = new ArrayList<>(union);
        t.leafrefPath = leafrefPath;
        t.requireInstance = requireInstance;
        t.identityBases = new ArrayList<>(identityBases);
        t.prefixes = prefixes;
        t.defaultNamespace = defaultNamespace;
        return t;
    }

    public String builtin() {
        return builtin;
    }

    public String name() {
        return name;
    }

    /** An enumeration's names, in order (empty for other types). */
    public List<String> enumNames() {
        return List.copyOf(enums.keySet());
    }

    /** The ranges of a number type (empty: its built-in bounds). */
    public List<Interval> ranges() {
        return List.copyOf(ranges);
    }

    /** The lengths of a string or binary (empty: any). */
    public List<Interval> lengths() {
        return List.copyOf(lengths);
    }

    /** The patterns of a string, in order. */
    public List<PatternRule> patterns() {
        return List.copyOf(patterns);
    }

    public String leafrefPath() {
        return leafrefPath;
    }

    public boolean requireInstance() {
        return requireInstance;
    }

    public List<String> identityBases() {
        return identityBases;
    }

    public Map<String, String> prefixes() {
        return prefixes;
    }

    public String defaultNamespace() {
        return defaultNamespace;
    }

    public List<YangType> union() {
        return union;
    }

    /**
     * Null when {@code value} is a lexically valid value of this type, else what is wrong, in the
     * operator's words. {@code identities} answers whether a (prefix-resolved) identity value is
     * derived from the bases; null skips that check.
     */
    public String check(String value, Function<String, Boolean> identities) {
        switch (builtin) {
            case "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64" -> {
                BigDecimal v;
                try {
                    v = new BigDecimal(new BigInteger(value.trim().startsWith("+") ? value.trim().substring(1) : value.trim()));
                } catch (NumberFormatException e) {
                    return "\"" + value + "\" is not an integer";
                }
                BigDecimal[] b = INTEGER_BOUNDS.get(builtin);
                if (v.compareTo(b[0]) < 0 || v.compareTo(b[1]) > 0) {
                    return "\"" + value + "\" is out of the " + builtin + " range " + b[0] + ".." + b[1];
                }
                return inRanges(v, value);
            }
            case "decimal64" -> {
                BigDecimal v;
                try {
                    v = new BigDecimal(value.trim());
                } catch (NumberFormatException e) {
                    return "\"" + value + "\" is not a decimal number";
                }
                if (v.scale() > fractionDigits) {
                    return "\"" + value + "\" has more than " + fractionDigits + " fraction digits";
                }
                return inRanges(v, value);
            }
            case "string" -> {
                String l = inLengths(value.codePointCount(0, value.length()), value);
                if (l != null) {
                    return l;
                }
                for (PatternRule p : patterns) {
                    if (p.pattern.matcher(value).matches() == p.invert) {
                        return p.errorMessage != null ? p.errorMessage
                                : "\"" + value + "\" does not match pattern \"" + p.text + "\"" + (p.invert ? " (inverted)" : "");
                    }
                }
                return null;
            }
            case "boolean" -> {
                return value.equals("true") || value.equals("false") ? null : "\"" + value + "\" is not true or false";
            }
            case "enumeration" -> {
                return enums.containsKey(value) ? null
                        : "\"" + value + "\" is not one of " + String.join(", ", enums.keySet());
            }
            case "bits" -> {
                for (String bit : value.trim().split("\\s+")) {
                    if (!bit.isEmpty() && !bits.contains(bit)) {
                        return "\"" + bit + "\" is not one of the bits " + String.join(", ", bits);
                    }
                }
                return null;
            }
            case "binary" -> {
                try {
                    byte[] raw = Base64.getMimeDecoder().decode(value.trim());
                    return inLengths(raw.length, value);
                } catch (IllegalArgumentException e) {
                    return "\"" + value + "\" is not base64";
                }
            }
            case "empty" -> {
                return value.isEmpty() ? null : "an empty leaf takes no value";
            }
            case "union" -> {
                List<String> why = new ArrayList<>();
                for (YangType member : union) {
                    String r = member.check(value, identities);
                    if (r == null) {
                        return null;
                    }
                    why.add(r);
                }
                return "\"" + value + "\" matches no member of the union (" + String.join("; ", why) + ")";
            }
            case "identityref" -> {
                if (identities == null) {
                    return null;
                }
                return Boolean.TRUE.equals(identities.apply(value)) ? null
                        : "\"" + value + "\" is not an identity derived from " + String.join(", ", identityBases);
            }
            default -> {
                return null; // leafref (checked against data), instance-identifier
            }
        }
    }

    private String inRanges(BigDecimal v, String value) {
        if (ranges.isEmpty() || ranges.stream().anyMatch(r -> r.contains(v))) {
            return null;
        }
        return rangeError != null ? rangeError : "\"" + value + "\" is out of range " + describe(ranges);
    }

    private String inLengths(int length, String value) {
        if (lengths.isEmpty() || lengths.stream().anyMatch(r -> r.contains(BigDecimal.valueOf(length)))) {
            return null;
        }
        return lengthError != null ? lengthError : "\"" + value + "\" has length " + length + ", allowed " + describe(lengths);
    }

    private static String describe(List<Interval> parts) {
        return String.join(" | ", parts.stream().map(Interval::toString).toList());
    }

    // ---- restriction parsing, used by the compiler ----

    boolean isInteger() {
        return INTEGER_BOUNDS.containsKey(builtin);
    }

    /** RFC 7950 §9.2.4: "1..10 | 20..max", each part within the base type's bounds. */
    static List<Interval> parseIntervals(String expr, BigDecimal lo, BigDecimal hi, String where) throws YangException {
        List<Interval> out = new ArrayList<>();
        for (String part : expr.split("\\|")) {
            String p = part.trim();
            String[] ends = p.split("\\.\\.", -1);
            if (ends.length > 2 || p.isEmpty()) {
                throw new YangException(where + ": bad range or length \"" + expr + "\"");
            }
            BigDecimal a = bound(ends[0].trim(), lo, hi, where, expr);
            BigDecimal b = ends.length == 2 ? bound(ends[1].trim(), lo, hi, where, expr) : a;
            if (a != null && b != null && a.compareTo(b) > 0) {
                throw new YangException(where + ": range part \"" + p + "\" goes down");
            }
            out.add(new Interval(a, b));
        }
        return out;
    }

    private static BigDecimal bound(String s, BigDecimal lo, BigDecimal hi, String where, String expr) throws YangException {
        if (s.equals("min")) {
            return lo;
        }
        if (s.equals("max")) {
            return hi;
        }
        try {
            return new BigDecimal(s);
        } catch (NumberFormatException e) {
            throw new YangException(where + ": bad bound \"" + s + "\" in \"" + expr + "\"");
        }
    }

    BigDecimal[] numericBounds() {
        BigDecimal[] b = INTEGER_BOUNDS.get(builtin);
        return b != null ? b : new BigDecimal[] { null, null };
    }

    /**
     * XSD regular expressions (RFC 7950 §9.4.5) in Java terms: anchored, with the XSD-only
     * {@code \i} and {@code \c} classes and block escapes translated.
     */
    static Pattern xsdPattern(String regex, String where) throws YangException {
        String java = regex.replace("\\i", "[\\p{L}_:]").replace("\\c", "[\\p{L}\\p{N}._:-]")
                .replaceAll("\\\\p\\{Is([A-Za-z0-9]+)\\}", "\\\\p{In$1}");
        try {
            return Pattern.compile(java);
        } catch (PatternSyntaxException e) {
            throw new YangException(where + ": pattern \"" + regex + "\" is not a valid regular expression: " + e.getDescription());
        }
    }

    private static BigDecimal[] bounds(long lo, long hi) {
        return new BigDecimal[] { BigDecimal.valueOf(lo), BigDecimal.valueOf(hi) };
    }
}
