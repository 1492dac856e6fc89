package org.besip.netconf.internal.yang;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * besip's validator against yanglint (libyang, Debian libyang2-tools) on the same instance
 * documents: each must be accepted or refused by both, as its directory says.
 */
class ValidatorTest {

    static final Path INSTANCES = Path.of("src/test/resources/instances");
    private static Schema schema;

    @BeforeAll
    static void load() throws Exception {
        schema = Models.systemAndTest();
    }

    static Element wrapped(String xml) throws Exception {
        Document d = DataTrees.builder().parse(new ByteArrayInputStream(
                ("<data xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">" + xml + "</data>").getBytes(StandardCharsets.UTF_8)));
        return d.getDocumentElement();
    }

    @TestFactory
    Stream<DynamicTest> besipAndYanglintAgreeOnEveryInstanceDocument() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (String verdict : List.of("valid", "invalid")) {
            try (var files = Files.list(INSTANCES.resolve(verdict))) {
                for (Path f : files.sorted().toList()) {
                    tests.add(DynamicTest.dynamicTest(verdict + "/" + f.getFileName(), () -> {
                        var problems = Validator.validate(schema, wrapped(Files.readString(f)));
                        boolean ours = problems.isEmpty();
                        boolean libyang = yanglintAccepts(f);
                        assertEquals(verdict.equals("valid"), libyang, "yanglint's verdict on " + f);
                        assertEquals(verdict.equals("valid"), ours, "besip's verdict on " + f + ": " + problems);
                    }));
                }
            }
        }
        return tests.stream();
    }

    static boolean yanglintAccepts(Path instance) throws Exception {
        Process p = new ProcessBuilder("yanglint", "-t", "config", "-p", Models.MAIN.toString(),
                Models.MAIN.resolve("besip-system.yang").toString(), Models.TEST.resolve("besip-test.yang").toString(),
                instance.toString()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("yanglint hung on " + instance);
        }
        return p.exitValue() == 0;
    }

    @Test
    void problemsSayWhereAndWhatInTheOperatorsWords() throws Exception {
        var problems = Validator.validate(schema, wrapped(Files.readString(INSTANCES.resolve("invalid/extension-pattern.xml"))));
        assertEquals(1, problems.size(), problems.toString());
        var p = problems.get(0);
        assertEquals("invalid-value", p.tag());
        assertEquals("/besip-test:pbx/user[name='alice']/extension", p.path());
        assertEquals("\"12a\" does not match pattern \"[0-9]{2,6}\"", p.message());

        p = Validator.validate(schema, wrapped(Files.readString(INSTANCES.resolve("invalid/port-clash.xml")))).get(0);
        assertEquals("The Web Console and NETCONF cannot share a port.", p.message());
        assertEquals("must-violation", p.appTag());

        p = Validator.validate(schema, wrapped(Files.readString(INSTANCES.resolve("invalid/leafref.xml")))).get(0);
        assertEquals("instance-required", p.appTag());
        assertTrue(p.message().contains("\"nowhere\" refers to nothing"), p.message());

        p = Validator.validate(schema, wrapped(Files.readString(INSTANCES.resolve("invalid/mandatory-leaf.xml")))).get(0);
        assertEquals("data-missing", p.tag());
        assertEquals("/besip-test:pbx/user[name='alice']/extension", p.path());
    }
}
