package org.besip.core.api.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

class EModelTest {

    private static final CodecImpairment G711 = ImpairmentTable.defaults(true).find("PCMA").orElseThrow();
    private static final CodecImpairment G729 = ImpairmentTable.defaults(true).find("G729").orElseThrow();

    /** The reference table, computed outside this class by {@code emodel_reference.py} (its origin is noted in the file). */
    static final Path REFERENCE = Path.of("src/test/resources/emodel/emodel-reference.csv");

    @Test
    void everyRowOfTheIndependentReferenceTableIsReproduced() throws Exception {
        List<String> rows = Files.readAllLines(REFERENCE).stream().filter(l -> !l.startsWith("#") && !l.startsWith("kind,")).toList();
        int mos = 0;
        int delay = 0;
        int score = 0;
        for (String row : rows) {
            String[] f = row.split(",", -1);
            switch (f[0]) {
                case "mos" -> {
                    assertEquals(d(f[10]), EModel.mos(d(f[9])), 1e-9, row);
                    mos++;
                }
                case "delay" -> {
                    assertEquals(d(f[7]), EModel.id(d(f[5])), 1e-9, row);
                    delay++;
                }
                case "score" -> {
                    CodecImpairment codec = new CodecImpairment("ref", d(f[1]), d(f[2]));
                    assertEquals(d(f[8]), EModel.ieEff(d(f[1]), d(f[2]), d(f[3]), d(f[4])), 1e-9, row);
                    EModel.Score s = EModel.score(codec, d(f[3]), d(f[4]), d(f[5]), d(f[6]));
                    assertEquals(d(f[9]), s.r(), 1e-9, row);
                    assertEquals(d(f[10]), s.mos(), 1e-9, row);
                    score++;
                }
                default -> throw new AssertionError("unknown row kind: " + row);
            }
        }
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("mos,") && r.endsWith(",6.5,1.0")), "R = 6.5 exactly is in the table");
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("mos,") && r.endsWith(",100.0,4.5")), "R = 100 is in the table");
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("delay,,,,,175.0,")), "T = 175 is in the table");
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("delay,,,,,400.0,")), "T = 400 is in the table");
        assertEquals(16, mos);
        assertEquals(8, delay);
        assertEquals(9, score);
    }

    private static double d(String s) {
        return Double.parseDouble(s);
    }

    @Test
    void aPerfectG711CallScoresThePapersMaximum() {
        var s = EModel.score(G711, 0, 1, 0, 0);
        assertEquals(93.3552, s.r(), 1e-9);
        // 1 + 0.035 R + R (R-60)(100-R) 7e-6
        double expected = 1 + 0.035 * 93.3552 + 93.3552 * (93.3552 - 60) * (100 - 93.3552) * 7e-6;
        assertEquals(expected, s.mos(), 1e-12);
        assertEquals(4.41, s.mos(), 0.01);
    }

    @Test
    void delayFollowsTheTwoPieceRelationWithItsJumpAt175ms() {
        assertEquals(0.0267 * 100, EModel.id(100), 1e-12);
        assertEquals(0.0267 * 174.999, EModel.id(174.999), 1e-9);
        assertEquals(0.1194 * 175 - 15.876, EModel.id(175), 1e-12);
        assertEquals(0.3465, EModel.id(175) - 0.0267 * 175, 1e-4, "the paper's relation jumps by 0.3465 at 175 ms");
        assertEquals(0.1194 * 500 - 15.876, EModel.id(500), 1e-12, "beyond 400 ms the second piece goes on");
    }

    @Test
    void lossAndBurstinessRaiseTheEffectiveImpairment() {
        assertEquals(11, EModel.ieEff(11, 19, 0, 1), 1e-12);
        double random = EModel.ieEff(11, 19, 2, 1);
        assertEquals(11 + 84 * 2 / (2 + 19.0), random, 1e-12);
        assertTrue(EModel.ieEff(11, 19, 2, 2) > random, "bursty loss hurts more than random loss");
    }

    @Test
    void mosIsClampedToOneAndFourAndAHalf() {
        assertEquals(1.0, EModel.mos(-10));
        assertEquals(1.0, EModel.mos(6.4));
        assertTrue(EModel.mos(6.51) >= 1.0, "the polynomial dips below 1 just above 6.5; clamped");
        assertEquals(4.5, EModel.mos(120));
        assertEquals(1 + 0.035 * 100, EModel.mos(100), 1e-12);
    }

    @Test
    void theAdvantageFactorAddsToR() {
        assertEquals(EModel.score(G729, 1, 1, 50, 0).r() + 5, EModel.score(G729, 1, 1, 50, 5).r(), 1e-12);
    }

    @Test
    void aCodecWithoutBplIsNotScoredUnderLoss() {
        var gsm = ImpairmentTable.defaults(true).find("GSM").orElseThrow();
        assertNull(EModel.score(gsm, 1, 1, 0, 0));
        assertEquals(93.3552 - 20, EModel.score(gsm, 0, 1, 0, 0).r(), 1e-9);
        assertTrue(ImpairmentTable.defaults(true).find("OPUS").isEmpty(), "no invented values");
    }
}
