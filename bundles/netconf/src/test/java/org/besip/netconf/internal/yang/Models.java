package org.besip.netconf.internal.yang;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Loads the product's and the tests' YANG modules. */
public final class Models {

    static final Path MAIN = Path.of("src/main/resources/yang");
    static final Path TEST = Path.of("src/test/resources/yang");

    private Models() {
    }

    public static Schema schema(Path... files) throws IOException, YangException {
        List<SchemaCompiler.Source> sources = new ArrayList<>();
        for (Path f : files) {
            String text = Files.readString(f, StandardCharsets.UTF_8);
            sources.add(new SchemaCompiler.Source(YangParser.parse(text, f.getFileName().toString()), text));
        }
        return SchemaCompiler.compile(sources);
    }

    public static Schema systemAndTest() throws IOException, YangException {
        return schema(MAIN.resolve("besip-system.yang"), TEST.resolve("besip-test.yang"));
    }

    public static Schema compile(String... modules) throws YangException {
        List<SchemaCompiler.Source> sources = new ArrayList<>();
        int i = 0;
        for (String m : modules) {
            sources.add(new SchemaCompiler.Source(YangParser.parse(m, "m" + (i++) + ".yang"), m));
        }
        return SchemaCompiler.compile(sources);
    }
}
