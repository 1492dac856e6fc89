package org.besip.pbx.internal.media;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Recording a call: the two directions mixed where they belong in time, the WAV file, retention. */
class RecordingsTest {

    @TempDir
    Path dir;

    /** 20 ms of a tone of {@code hz} at {@code amplitude}, as G.711 µ-law, starting at sample {@code from}. */
    static byte[] tone(double hz, int amplitude, long from) {
        byte[] b = new byte[160];
        for (int i = 0; i < 160; i++) {
            b[i] = (byte) G711.linearToUlaw((int) (amplitude * Math.sin(2 * Math.PI * hz * (from + i) / 8000.0)));
        }
        return b;
    }

    @Test
    void bothDirectionsAreMixedIntoOneWavFileWhereTheyBelongInTime() throws Exception {
        List<String> done = new CopyOnWriteArrayList<>();
        try (Recordings r = new Recordings(dir, Recordings.Retention.DEFAULT, (id, name, s) -> done.add(id + " " + name + " " + s))) {
            String[] name = new String[1];
            long t0 = 1_000_000_000L;
            Recorder rec = r.start("call-1@x", System.currentTimeMillis(), t0, name);
            assertTrue(Recordings.NAME.matcher(name[0]).matches(), name[0]);
            // the caller talks for the first second (400 Hz), the callee for the second (1000 Hz): 50 packets each, 20 ms apart
            for (int i = 0; i < 50; i++) {
                rec.add(0, 0, tone(400, 8000, 160L * i), 0, 160, t0 + (i + 1) * 20_000_000L);
                rec.tick(t0 + (i + 1) * 20_000_000L);
            }
            for (int i = 50; i < 100; i++) {
                rec.add(1, 0, tone(1000, 8000, 160L * i), 0, 160, t0 + (i + 1) * 20_000_000L);
                rec.add(1, 101, new byte[4], 0, 4, t0 + (i + 1) * 20_000_000L); // a DTMF event adds nothing
                rec.tick(t0 + (i + 1) * 20_000_000L);
            }
            assertEquals(16_000, rec.close(), "two seconds at 8 kHz");
            r.drain();
            assertEquals(1, done.size());
            assertTrue(done.get(0).startsWith("call-1@x " + name[0] + " 2.0"), done.get(0));
            byte[] wav = Files.readAllBytes(dir.resolve(name[0]));
            ByteBuffer b = ByteBuffer.wrap(wav).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals("RIFF", new String(wav, 0, 4));
            assertEquals(36 + 32_000, b.getInt(4));
            assertEquals(1, b.getShort(20), "PCM");
            assertEquals(1, b.getShort(22), "mono");
            assertEquals(8000, b.getInt(24));
            assertEquals(16, b.getShort(34));
            assertEquals(32_000, b.getInt(40));
            assertEquals(44 + 32_000, wav.length);
            assertEquals(400, frequency(b, 0, 8000), 10, "the caller in the first second");
            assertEquals(1000, frequency(b, 8000, 16000), 10, "the callee in the second");
            assertNotNull(r.file(name[0]));
            assertEquals(1, r.list().size());
            assertEquals(2.0, r.list().get(0).seconds(), 1e-9);
        }
    }

    /** Zero crossings of samples [from, to) of a 16-bit mono WAV. */
    static double frequency(ByteBuffer b, int from, int to) {
        int crossings = 0;
        int prev = b.getShort(44 + 2 * from);
        for (int i = from + 1; i < to; i++) {
            int v = b.getShort(44 + 2 * i);
            if ((prev < 0) != (v < 0)) {
                crossings++;
            }
            prev = v;
        }
        return crossings / 2.0 / ((to - from) / 8000.0);
    }

    @Test
    void overlappingSpeechIsSummedAndALatePacketStillLandsInItsPlace() throws Exception {
        try (Recordings r = new Recordings(dir, Recordings.Retention.DEFAULT, (id, name, s) -> { })) {
            String[] name = new String[1];
            Recorder rec = r.start("call-2@x", System.currentTimeMillis(), 0, name);
            byte[] loud = new byte[160];
            java.util.Arrays.fill(loud, (byte) G711.linearToUlaw(1000));
            rec.add(0, 0, loud, 0, 160, 20_000_000L);
            rec.add(1, 0, loud, 0, 160, 20_000_000L);
            rec.add(0, 0, loud, 0, 160, 300_000_000L); // 280 ms later: the gap stays silent
            rec.add(1, 0, loud, 0, 160, 60_000_000L); // came 20 ms late: still where it belongs
            rec.close();
            r.drain();
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(name[0]))).order(ByteOrder.LITTLE_ENDIAN);
            int one = G711.ulawToLinear(G711.linearToUlaw(1000));
            assertEquals(2 * one, b.getShort(44 + 2 * 10), "both sides at once: summed");
            assertEquals(one, b.getShort(44 + 2 * (160 + 170)), "the callee's second packet, after its first");
            assertEquals(0, b.getShort(44 + 2 * 1000), "silence in the gap");
            assertEquals(one, b.getShort(44 + 2 * (2240 + 10)), "the caller's later packet at 280 ms");
        }
    }

    @Test
    void oldRecordingsGoAndTheOldestGoWhenTheyTakeTooMuchRoom() throws Exception {
        Path day = Files.createDirectories(dir.resolve("2026-01-01"));
        Path old = Files.write(day.resolve("010000-0000000000000001.wav"), new byte[1000]);
        Path older = Files.write(day.resolve("020000-0000000000000002.wav"), new byte[1000]);
        Path newer = Files.write(day.resolve("030000-0000000000000003.wav"), new byte[1000]);
        Path stranger = Files.write(day.resolve("notes.txt"), new byte[10]);
        long now = System.currentTimeMillis();
        Files.setLastModifiedTime(old, FileTime.fromMillis(now - 40L * 86_400_000L));
        Files.setLastModifiedTime(older, FileTime.fromMillis(now - 3_600_000L));
        Files.setLastModifiedTime(newer, FileTime.fromMillis(now - 60_000L));
        try (Recordings r = new Recordings(dir, new Recordings.Retention(30L * 86_400_000L, 1500), (id, name, s) -> { })) {
            r.drain();
            assertTrue(!Files.exists(old), "40 days old: gone");
            assertTrue(!Files.exists(older), "over the size limit: the oldest of the rest goes");
            assertTrue(Files.exists(newer));
            assertTrue(Files.exists(stranger), "only recordings are ever deleted");
            assertNull(r.file("../../etc/passwd"));
            assertNull(r.file("2026-01-01/notes.txt"));
            assertNotNull(r.file("2026-01-01/030000-0000000000000003.wav"));
        }
    }
}
