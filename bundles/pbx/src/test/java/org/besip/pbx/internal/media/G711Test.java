package org.besip.pbx.internal.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** G.711 against the values of the recommendation's tables (ITU-T G.711, tables 1 and 2). */
class G711Test {

    @Test
    void theEndsAndTheMiddleOfBothLawsAreTheRecommendationsValues() {
        assertEquals(0, G711.ulawToLinear(0xFF), "µ-law 0xFF: +0");
        assertEquals(0, G711.ulawToLinear(0x7F), "µ-law 0x7F: -0");
        assertEquals(32124, G711.ulawToLinear(0x80), "µ-law's largest magnitude, positive");
        assertEquals(-32124, G711.ulawToLinear(0x00));
        assertEquals(8, G711.alawToLinear(0xD5), "A-law 0xD5: the smallest positive step");
        assertEquals(-8, G711.alawToLinear(0x55));
        assertEquals(32256, G711.alawToLinear(0xAA), "A-law's largest magnitude, positive");
        assertEquals(-32256, G711.alawToLinear(0x2A));
    }

    @Test
    void everyCodeDecodesAndEncodesBackToItself() {
        for (int c = 0; c < 256; c++) {
            int u = G711.linearToUlaw(G711.ulawToLinear(c));
            assertEquals(c == 0x7F ? 0xFF : c, u, "µ-law code " + c); // -0 encodes as +0
            assertEquals(c, G711.linearToAlaw(G711.alawToLinear(c)), "A-law code " + c);
        }
    }

    @Test
    void musicInALawSoundsAsInMuLaw() {
        byte[] u = MusicOnHold.shipped();
        assertEquals(64_000, u.length, "8 s at 8 kHz");
        byte[] a = G711.fromUlaw(u, 8);
        for (int i = 0; i < u.length; i += 97) {
            int lin = G711.ulawToLinear(u[i]);
            assertTrue(Math.abs(G711.alawToLinear(a[i]) - lin) <= Math.max(16, Math.abs(lin) / 16), "sample " + i);
        }
    }
}
