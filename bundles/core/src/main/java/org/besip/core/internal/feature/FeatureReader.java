package org.besip.core.internal.feature;

import java.io.IOException;
import java.io.Reader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import jakarta.json.JsonArray;
import jakarta.json.JsonException;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;
import jakarta.json.stream.JsonParsingException;

/**
 * Reads feature files. Pure: no OSGi, so that the launcher reads the base feature with the same
 * code before the framework runs.
 */
public final class FeatureReader {

    /** Sling's key form for a JSON extension: {@code name:JSON|kind}. */
    static final String MODULE_EXTENSION = "besip-module:JSON|optional";
    private static final Pattern MODULE_NAME = Pattern.compile("[a-z][a-z0-9-]{0,31}");
    private static final Pattern COORDINATE = Pattern.compile("[A-Za-z0-9_.-]+");

    private final JsonProvider json;

    public FeatureReader(JsonProvider json) {
        this.json = json;
    }

    /** A reader on Apache Johnzon, called directly: no service-loader lookup needed. */
    public static FeatureReader johnzon() {
        return new FeatureReader(new org.apache.johnzon.core.JsonProviderImpl());
    }

    public Feature read(Path file) throws FeatureException {
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(in, file.toString());
        } catch (IOException e) {
            throw new FeatureException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    public Feature read(Reader in, String origin) throws FeatureException {
        JsonObject root;
        try (var reader = json.createReader(in)) {
            root = reader.readObject();
        } catch (JsonParsingException e) {
            var at = e.getLocation();
            throw new FeatureException(origin + ":" + at.getLineNumber() + ":" + at.getColumnNumber()
                    + ": not valid JSON: " + e.getMessage(), e);
        } catch (JsonException | IllegalStateException e) {
            throw new FeatureException(origin + ": not a JSON object: " + e.getMessage(), e);
        }
        String id = string(root, "id", origin);
        String[] gav = id.split(":");
        if (gav.length != 3 || !allMatch(gav)) {
            throw new FeatureException(origin + ": id \"" + id + "\" is not group:artifact:version");
        }
        JsonObject ext = root.containsKey(MODULE_EXTENSION) ? object(root, MODULE_EXTENSION, origin)
                : JsonValue.EMPTY_JSON_OBJECT;
        String module = ext.containsKey("name") ? string(ext, "name", origin) : gav[1];
        if (!MODULE_NAME.matcher(module).matches()) {
            throw new FeatureException(origin + ": module name \"" + module
                    + "\" must be lower-case letters, digits and '-', starting with a letter, at most 32");
        }
        List<String> requires = new ArrayList<>();
        if (ext.containsKey("requires")) {
            for (JsonValue v : array(ext, "requires", origin)) {
                if (!(v instanceof JsonString s)) {
                    throw new FeatureException(origin + ": requires must list module names");
                }
                requires.add(s.getString());
            }
        }
        List<FeatureBundle> bundles = new ArrayList<>();
        JsonArray list = root.containsKey("bundles") ? array(root, "bundles", origin) : JsonValue.EMPTY_JSON_ARRAY;
        for (int i = 0; i < list.size(); i++) {
            bundles.add(bundle(list.get(i), origin + ": bundles[" + i + "]"));
        }
        if (bundles.isEmpty()) {
            throw new FeatureException(origin + ": a feature needs at least one bundle");
        }
        Map<String, Map<String, Object>> configs = new LinkedHashMap<>();
        if (root.containsKey("configurations")) {
            for (var e : object(root, "configurations", origin).entrySet()) {
                if (!(e.getValue() instanceof JsonObject props)) {
                    throw new FeatureException(origin + ": configuration " + e.getKey() + " must be an object");
                }
                Map<String, Object> p = new LinkedHashMap<>();
                for (var pe : props.entrySet()) {
                    p.put(pe.getKey(), plain(pe.getValue(), origin + ": configuration " + e.getKey() + "/" + pe.getKey()));
                }
                configs.put(e.getKey(), p);
            }
        }
        return new Feature(id, module, gav[2], root.getString("title", module),
                ext.getBoolean("required", false), ext.getBoolean("enabled", true),
                requires, bundles, configs);
    }

    private static FeatureBundle bundle(JsonValue v, String where) throws FeatureException {
        String id;
        int order = 1;
        if (v instanceof JsonString s) {
            id = s.getString();
        } else if (v instanceof JsonObject o) {
            id = string(o, "id", where);
            JsonValue so = o.get("start-order");
            if (so instanceof JsonNumber n) {
                order = n.intValue();
            } else if (so instanceof JsonString s) {
                try {
                    order = Integer.parseInt(s.getString());
                } catch (NumberFormatException e) {
                    throw new FeatureException(where + ": start-order \"" + s.getString() + "\" is not a number");
                }
            } else if (so != null) {
                throw new FeatureException(where + ": start-order must be a number");
            }
        } else {
            throw new FeatureException(where + ": must be a string or an object with an id");
        }
        String[] gav = id.split(":");
        if (gav.length != 3 || !allMatch(gav)) {
            throw new FeatureException(where + ": id \"" + id + "\" is not group:artifact:version");
        }
        if (order < 1 || order > 100) {
            throw new FeatureException(where + ": start-order " + order + " is outside 1..100");
        }
        return new FeatureBundle(gav[0], gav[1], gav[2], order);
    }

    private static Object plain(JsonValue v, String where) throws FeatureException {
        return switch (v.getValueType()) {
            case STRING -> ((JsonString) v).getString();
            case TRUE -> Boolean.TRUE;
            case FALSE -> Boolean.FALSE;
            case NUMBER -> {
                BigDecimal d = ((JsonNumber) v).bigDecimalValue();
                yield d.scale() <= 0 ? (Object) Long.valueOf(d.longValueExact()) : (Object) Double.valueOf(d.doubleValue());
            }
            case ARRAY -> {
                List<String> items = new ArrayList<>();
                for (JsonValue item : v.asJsonArray()) {
                    if (!(item instanceof JsonString s)) {
                        throw new FeatureException(where + ": arrays may hold strings only");
                    }
                    items.add(s.getString());
                }
                yield items.toArray(new String[0]);
            }
            default -> throw new FeatureException(where + ": must be a string, number, boolean or array of strings");
        };
    }

    private static boolean allMatch(String[] parts) {
        for (String p : parts) {
            if (!COORDINATE.matcher(p).matches()) {
                return false;
            }
        }
        return true;
    }

    private static String string(JsonObject o, String key, String where) throws FeatureException {
        if (!(o.get(key) instanceof JsonString s)) {
            throw new FeatureException(where + ": \"" + key + "\" must be a string");
        }
        return s.getString();
    }

    private static JsonObject object(JsonObject o, String key, String where) throws FeatureException {
        if (!(o.get(key) instanceof JsonObject v)) {
            throw new FeatureException(where + ": \"" + key + "\" must be an object");
        }
        return v;
    }

    private static JsonArray array(JsonObject o, String key, String where) throws FeatureException {
        if (!(o.get(key) instanceof JsonArray v)) {
            throw new FeatureException(where + ": \"" + key + "\" must be an array");
        }
        return v;
    }
}
