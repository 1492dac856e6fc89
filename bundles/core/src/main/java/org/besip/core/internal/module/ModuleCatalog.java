package org.besip.core.internal.module;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

import org.besip.core.internal.feature.Feature;
import org.besip.core.internal.feature.FeatureException;
import org.besip.core.internal.feature.FeatureReader;

/** The modules described in {@code features/}, by module name. */
final class ModuleCatalog {

    private ModuleCatalog() {
    }

    /** Reads every {@code *.json}; a file that cannot be read is reported and skipped. */
    static Map<String, Feature> read(Path dir, FeatureReader reader, Consumer<String> problems) {
        Map<String, Feature> features = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return features;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                try {
                    Feature feature = reader.read(f);
                    Feature twin = features.putIfAbsent(feature.module(), feature);
                    if (twin != null) {
                        problems.accept(f + ": module " + feature.module() + " is described twice; the other file wins");
                    }
                } catch (FeatureException e) {
                    problems.accept(e.getMessage());
                }
            }
        } catch (IOException e) {
            problems.accept(dir + ": cannot list: " + e.getMessage());
        }
        return features;
    }
}
