package org.besip.monitoring.internal.pcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import org.besip.core.api.quality.RtpAnalyzer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcapFileTest {

    static final Path PCAPS = Path.of(System.getProperty("besip.shared.pcaps", "src/test/resources/pcap"));

    @TempDir
    Path tmp;

    @Test
    void aFileThatIsNotACaptureIsAClearError() throws Exception {
        Path junk = tmp.resolve("junk.pcap");
        Files.writeString(junk, "this is not a capture");
        var e = assertThrows(PcapException.class, () -> PcapFile.read(junk, new RtpAnalyzer(Map.of())));
        assertTrue(e.getMessage().contains("not a pcap or pcapng capture"), e.getMessage());
        e = assertThrows(PcapException.class, () -> PcapFile.read(tmp.resolve("missing.pcap"), new RtpAnalyzer(Map.of())));
        assertTrue(e.getMessage().contains("cannot read"), e.getMessage());
    }

    @Test
    void aTruncatedCaptureGivesWhatItHeldAndSaysWhereItStopped() throws Exception {
        byte[] whole = Files.readAllBytes(PCAPS.resolve("sipp_g711a.pcap"));
        Path cut = tmp.resolve("cut.pcap");
        Files.write(cut, Arrays.copyOf(whole, whole.length / 2 + 7));
        RtpAnalyzer a = new RtpAnalyzer(Map.of());
        PcapFile.Result r = PcapFile.read(cut, a);
        assertNotNull(r.truncated(), "the cut is reported");
        assertEquals(1, a.all().size());
        assertTrue(a.all().get(0).packets() > 100 && a.all().get(0).packets() < 236, "the packets before the cut");
    }
}
