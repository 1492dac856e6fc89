package org.besip.monitoring.internal.emodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EModelTest {

    private static final CodecImpairment G711 = ImpairmentTable.defaults(true).find("PCMA").orElseThrow();
    private static final CodecImpairment G729 = ImpairmentTable.defaults(true).find("G729").orElseThrow();

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
