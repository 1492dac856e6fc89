package org.besip.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleLogTest {

    @TempDir
    Path logs;

    @Test
    void theLogRotatesBySizeWhileWrittenAndKeepsTheConfiguredNumberOfFiles() throws Exception {
        ConsoleLog.Limits limits = new ConsoleLog.Limits(1000, 3);
        try (ConsoleLog.RotatingFile f = new ConsoleLog.RotatingFile(logs.resolve("besip.log"), limits)) {
            for (int i = 0; i < 490; i++) { // 490 lines of 20 bytes: 9 800 bytes, nearly ten times the limit
                f.write(String.format("entry %04d of a log\n", i).getBytes(StandardCharsets.US_ASCII));
            }
        }
        assertTrue(Files.exists(logs.resolve("besip.log")));
        assertTrue(Files.exists(logs.resolve("besip.log.1")));
        assertTrue(Files.exists(logs.resolve("besip.log.2")));
        assertFalse(Files.exists(logs.resolve("besip.log.3")), "three files in all");
        for (String name : new String[] { "besip.log.1", "besip.log.2" }) {
            assertEquals(1000, Files.size(logs.resolve(name)), name + ": 50 whole lines, rotated when the limit was reached");
        }
        String current = Files.readString(logs.resolve("besip.log"));
        assertTrue(current.endsWith("entry 0489 of a log\n"), "the newest lines are in besip.log");
        assertTrue(Files.readString(logs.resolve("besip.log.1")).startsWith("entry 0400 of a log\n"), "the ones before in .1");
        assertTrue(Files.readString(logs.resolve("besip.log.2")).startsWith("entry 0350 of a log\n"), "and before those in .2");
    }

    @Test
    void aLogPastTheLimitAtStartIsRotatedFirstAndOneFileMeansNoOldOnes() throws Exception {
        Files.writeString(logs.resolve("besip.log"), "x".repeat(2000));
        try (ConsoleLog.RotatingFile f = new ConsoleLog.RotatingFile(logs.resolve("besip.log"), new ConsoleLog.Limits(1000, 1))) {
            f.write("new\n".getBytes(StandardCharsets.US_ASCII));
        }
        assertEquals("new\n", Files.readString(logs.resolve("besip.log")));
        assertFalse(Files.exists(logs.resolve("besip.log.1")));
    }

    @Test
    void theLimitsAreReadFromTheSettingsAndBadOnesRefused() throws Exception {
        assertEquals(new ConsoleLog.Limits(4L << 20, 3), ConsoleLog.limits(Map.of()));
        assertEquals(new ConsoleLog.Limits(512 * 1024, 5), ConsoleLog.limits(Map.of(ConsoleLog.MAX_SIZE, "512K", ConsoleLog.FILES, "5")));
        assertEquals(new ConsoleLog.Limits(2L << 20, 3), ConsoleLog.limits(Map.of(ConsoleLog.MAX_SIZE, "2m")));
        var e = assertThrows(StartupException.class, () -> ConsoleLog.limits(Map.of(ConsoleLog.MAX_SIZE, "10")));
        assertEquals("besip.log.max-size \"10\" is not a size from 64K to 1024M", e.getMessage());
        assertEquals(StartupException.CONFIG, e.exitCode());
        e = assertThrows(StartupException.class, () -> ConsoleLog.limits(Map.of(ConsoleLog.FILES, "zero")));
        assertEquals("besip.log.files \"zero\" is not a number of files from 1 to 20", e.getMessage());
    }
}
