package org.besip.pbx.internal.media;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The music held phones hear: the shipped tune ({@code music-on-hold.ul}, 8 s of G.711 µ-law at
 * 8 kHz), or a configured file: raw µ-law ({@code .ul}, {@code .mulaw}) or a WAV of 8 kHz mono
 * 16-bit PCM, µ-law or A-law.
 */
public final class MusicOnHold {

    private static volatile byte[] shipped;

    private MusicOnHold() {
    }

    /** The shipped tune, µ-law. */
    public static byte[] shipped() {
        byte[] s = shipped;
        if (s == null) {
            try (InputStream in = MusicOnHold.class.getResourceAsStream("music-on-hold.ul")) {
                if (in == null) {
                    throw new IllegalStateException("music-on-hold.ul is not in the bundle");
                }
                s = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            shipped = s;
        }
        return s;
    }

    /** A configured file as µ-law; an IOException names what is wrong with it. */
    public static byte[] load(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (!name.endsWith(".wav")) {
            if (b.length < MediaRelay.FRAME) {
                throw new IOException(file + " holds less than 20 ms of audio");
            }
            return b;
        }
        ByteBuffer w = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        if (b.length < 44 || w.getInt(0) != 0x46464952 || w.getInt(8) != 0x45564157) {
            throw new IOException(file + " is no RIFF WAVE file");
        }
        int format = -1;
        int channels = 0;
        int rate = 0;
        int bits = 0;
        for (int at = 12; at + 8 <= b.length;) {
            int id = w.getInt(at);
            int size = w.getInt(at + 4);
            if (size < 0 || at + 8L + size > b.length) {
                throw new IOException(file + " has a chunk beyond its end");
            }
            if (id == 0x20746d66) { // "fmt "
                format = w.getShort(at + 8) & 0xFFFF;
                channels = w.getShort(at + 10);
                rate = w.getInt(at + 12);
                bits = w.getShort(at + 22);
            } else if (id == 0x61746164) { // "data"
                if (channels != 1 || rate != 8000) {
                    throw new IOException(file + " is not 8 kHz mono (" + rate + " Hz, " + channels + " channels)");
                }
                byte[] out;
                if (format == 7 && bits == 8) { // µ-law
                    out = java.util.Arrays.copyOfRange(b, at + 8, at + 8 + size);
                } else if (format == 6 && bits == 8) { // A-law
                    out = new byte[size];
                    for (int i = 0; i < size; i++) {
                        out[i] = (byte) G711.linearToUlaw(G711.alawToLinear(b[at + 8 + i]));
                    }
                } else if (format == 1 && bits == 16) {
                    out = new byte[size / 2];
                    for (int i = 0; i < out.length; i++) {
                        out[i] = (byte) G711.linearToUlaw(w.getShort(at + 8 + 2 * i));
                    }
                } else {
                    throw new IOException(file + " is neither 16-bit PCM nor G.711 (format " + format + ", " + bits + " bits)");
                }
                if (out.length < MediaRelay.FRAME) {
                    throw new IOException(file + " holds less than 20 ms of audio");
                }
                return out;
            }
            at += 8 + size + (size & 1);
        }
        throw new IOException(file + " has no audio data");
    }
}
