package org.besip.core.internal.module;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.json.spi.JsonProvider;

import org.besip.core.api.storage.AtomicFiles;
import org.besip.core.internal.module.InstalledModule.InstalledBundle;

/**
 * The installed-module list ({@code data/modules/state.json}), kept outside the framework cache
 * so that the box reconciles against it at boot. Written atomically: temp file, fsync, rename.
 */
final class ModuleStateStore {

    private final Path file;
    private final JsonProvider json;

    ModuleStateStore(Path file, JsonProvider json) {
        this.file = file;
        this.json = json;
    }

    boolean exists() {
        return Files.exists(file);
    }

    Map<String, InstalledModule> load() throws IOException {
        Map<String, InstalledModule> modules = new LinkedHashMap<>();
        if (!Files.exists(file)) {
            return modules;
        }
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8); var reader = json.createReader(in)) {
            JsonObject root = reader.readObject();
            for (var e : root.getJsonObject("modules").entrySet()) {
                JsonObject m = e.getValue().asJsonObject();
                List<String> requires = m.getJsonArray("requires").getValuesAs(JsonString.class).stream()
                        .map(JsonString::getString).toList();
                List<InstalledBundle> bundles = new ArrayList<>();
                for (JsonValue v : m.getJsonArray("bundles")) {
                    JsonObject b = v.asJsonObject();
                    bundles.add(new InstalledBundle(b.getString("symbolicName"), b.getString("version"),
                            b.getString("file"), b.getInt("startOrder")));
                }
                modules.put(e.getKey(), new InstalledModule(e.getKey(), m.getString("source"),
                        m.getBoolean("enabled"), requires, bundles));
            }
        } catch (RuntimeException e) {
            throw new IOException(file + " is damaged: " + e.getMessage(), e);
        }
        return modules;
    }

    void save(Map<String, InstalledModule> modules) throws IOException {
        var root = json.createObjectBuilder();
        var all = json.createObjectBuilder();
        for (InstalledModule m : modules.values()) {
            var bundles = json.createArrayBuilder();
            for (InstalledBundle b : m.bundles()) {
                bundles.add(json.createObjectBuilder().add("symbolicName", b.symbolicName())
                        .add("version", b.version()).add("file", b.file()).add("startOrder", b.startOrder()));
            }
            var requires = json.createArrayBuilder();
            m.requires().forEach(requires::add);
            all.add(m.name(), json.createObjectBuilder().add("source", m.source()).add("enabled", m.enabled())
                    .add("requires", requires).add("bundles", bundles));
        }
        root.add("modules", all);
        StringWriter text = new StringWriter();
        try (var w = json.createWriterFactory(Map.of("jakarta.json.stream.JsonGenerator.prettyPrinting", true))
                .createWriter(text)) {
            w.write(root.build());
        }
        AtomicFiles.write(file, text.toString().getBytes(StandardCharsets.UTF_8));
    }
}
