package org.besip.netconf.internal.datastore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.besip.core.api.storage.AtomicFiles;
import org.besip.netconf.internal.yang.DataTrees;
import org.w3c.dom.Element;
import org.xml.sax.SAXException;

/**
 * The last committed configurations of running, newest first, each with when, by whom (user,
 * session: 0 for the box itself) and what it touched (the modules whose configuration changed),
 * kept as files under {@code data/netconf/history/}: {@code <id>.xml} holds the configuration,
 * {@code index} one line per commit ({@code id TAB time-ms TAB user TAB session TAB modules TAB
 * note}). At most {@code keep} commits stay (the oldest go first); ids grow and are never reused
 * while their files exist. Every method is synchronized.
 */
public final class CommitHistory {

    /** One commit: its id, when (epoch ms), who, from which session, which modules it changed, and a note (a rollback's source). */
    public record Commit(long id, long timeMs, String user, long session, List<String> modules, String note) {
    }

    public static final int MAX_KEEP = 100;

    private final Path dir;
    private final List<Commit> commits = new ArrayList<>(); // oldest first
    private long lastId;

    public CommitHistory(Path dir) throws IOException {
        this.dir = dir;
        Files.createDirectories(dir);
        Path index = dir.resolve("index");
        if (Files.exists(index)) {
            for (String line : Files.readAllLines(index, StandardCharsets.UTF_8)) {
                Commit c = parse(line);
                if (c != null && Files.exists(file(c.id()))) {
                    commits.add(c);
                    lastId = Math.max(lastId, c.id());
                }
            }
        }
    }

    /**
     * Records {@code running} as the newest commit and drops what is beyond {@code keep}; returns it.
     * @throws IOException the files cannot be written (the commit itself stands: the caller logs it)
     */
    public synchronized Commit record(Element running, long timeMs, String user, long session, List<String> modules, String note,
            int keep) throws IOException {
        Commit c = new Commit(++lastId, timeMs, clean(user), session, List.copyOf(modules), clean(note));
        AtomicFiles.write(file(c.id()), Datastores.serialize(running));
        commits.add(c);
        int k = Math.max(1, Math.min(MAX_KEEP, keep));
        while (commits.size() > k) {
            Commit old = commits.remove(0);
            Files.deleteIfExists(file(old.id()));
        }
        writeIndex();
        return c;
    }

    /** The commits kept, newest first. */
    public synchronized List<Commit> list() {
        List<Commit> out = new ArrayList<>(commits);
        java.util.Collections.reverse(out);
        return out;
    }

    /** The configuration of commit {@code id}, or empty when it is not kept. */
    public synchronized Optional<Element> configuration(long id) throws IOException {
        if (commits.stream().noneMatch(c -> c.id() == id)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Datastores.copy(DataTrees.builder().parse(file(id).toFile()).getDocumentElement()));
        } catch (SAXException e) {
            throw new IOException("commit " + id + " is damaged: " + e.getMessage(), e);
        }
    }

    private Path file(long id) {
        return dir.resolve(id + ".xml");
    }

    private void writeIndex() throws IOException {
        StringBuilder b = new StringBuilder();
        for (Commit c : commits) {
            b.append(c.id()).append('\t').append(c.timeMs()).append('\t').append(c.user()).append('\t').append(c.session()).append('\t')
                    .append(String.join(",", c.modules())).append('\t').append(c.note()).append('\n');
        }
        AtomicFiles.write(dir.resolve("index"), b.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static Commit parse(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 6) {
            return null;
        }
        try {
            return new Commit(Long.parseLong(f[0]), Long.parseLong(f[1]), f[2], Long.parseLong(f[3]),
                    f[4].isEmpty() ? List.of() : List.of(f[4].split(",")), f[5]);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A user name or note as one index field: no tabs, no line breaks, at most 200 characters. */
    private static String clean(String s) {
        String t = s == null ? "" : s.replaceAll("[\\t\\r\\n]", " ");
        return t.length() > 200 ? t.substring(0, 200) : t;
    }
}
