import java.io.IOException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarFile;

/**
 * {@code java ImageModules.java JAR...}: the JDK modules the bundles need, as a comma-separated
 * list for jlink. A bundle says what it needs from the JDK in its manifest: every package of its
 * Import-Package that is not optional and that a JDK module exports must be there, or the
 * framework will not resolve it (jdeps sees classes, not manifests). Prints the list on stdout and
 * each module's reason on stderr.
 */
public class ImageModules {
    public static void main(String[] args) throws IOException {
        Map<String, String> owner = new TreeMap<>();
        for (ModuleReference m : ModuleFinder.ofSystem().findAll()) {
            for (String p : m.descriptor().packages()) {
                owner.put(p, m.descriptor().name());
            }
        }
        Map<String, String> why = new TreeMap<>();
        for (String a : args) {
            try (JarFile jar = new JarFile(a)) {
                var mf = jar.getManifest();
                String imports = mf == null ? null : mf.getMainAttributes().getValue("Import-Package");
                if (imports == null) {
                    continue;
                }
                for (String clause : clauses(imports)) {
                    String[] parts = clause.split(";");
                    boolean optional = clause.replace(" ", "").contains("resolution:=optional");
                    String m = owner.get(parts[0].trim());
                    if (!optional && m != null) {
                        why.putIfAbsent(m, parts[0].trim() + " (" + Path.of(a).getFileName() + ")");
                    }
                }
            }
        }
        why.forEach((m, p) -> System.err.println("image module " + m + ": " + p));
        System.out.println(String.join(",", new TreeSet<>(why.keySet())));
    }

    /** Import-Package split at the commas that are not inside quotes. */
    static List<String> clauses(String header) {
        List<String> out = new ArrayList<>();
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < header.length(); i++) {
            char c = header.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                out.add(header.substring(start, i));
                start = i + 1;
            }
        }
        out.add(header.substring(start));
        return out;
    }
}
