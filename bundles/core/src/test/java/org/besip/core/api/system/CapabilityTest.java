package org.besip.core.api.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The effective capability set as the kernel writes it in /proc/<pid>/status. */
class CapabilityTest {

    @TempDir
    Path dir;

    private BigInteger status(String capEff) throws Exception {
        Path f = dir.resolve("status");
        Files.writeString(f, "Name:\tjava\nUid:\t65534\t65534\t65534\t65534\nCapInh:\t0000000000000000\nCapPrm:\t" + capEff
                + "\nCapEff:\t" + capEff + "\nCapBnd:\t000001ffffffffff\n");
        return Capability.read(f);
    }

    @Test
    void theBitsAreTheKernelsNumbers() throws Exception {
        // systemd's AmbientCapabilities=CAP_NET_BIND_SERVICE CAP_NET_RAW: bits 10 and 13 (capsh --decode=0000000000002400)
        BigInteger e = status("0000000000002400");
        assertTrue(e.testBit(10), "CAP_NET_BIND_SERVICE");
        assertTrue(e.testBit(13), "CAP_NET_RAW");
        assertFalse(e.testBit(12), "no CAP_NET_ADMIN");
        assertEquals(BigInteger.ZERO, status("0000000000000000"), "an unprivileged user holds none");
        assertTrue(status("000001ffffffffff").testBit(12), "root holds them all");
    }

    @Test
    void aStatusWithoutTheLineAssumesAllowedAndLetsTheFeaturesOwnErrorSpeak() throws Exception {
        Path f = dir.resolve("other");
        Files.writeString(f, "Name:\tjava\n");
        assertTrue(Capability.read(f).testBit(13));
        assertTrue(Capability.read(dir.resolve("missing")).testBit(10));
    }
}
