package org.besip.security.internal.firewall;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Blocks in the kernel through nftables: a table {@code inet besip} with two sets of addresses
 * with per-element timeouts ({@code blocked4}, {@code blocked6}) and an input-hook chain that drops
 * their packets before any socket sees them. A block is one {@code nft add element … timeout Ns},
 * so the kernel lifts it by itself even if the box is gone. Needs {@code nft} and CAP_NET_ADMIN;
 * {@link #open} says why it cannot be used.
 */
public final class NftablesFirewall implements Firewall {

    static final String TABLE = "besip";

    private final List<String> prefix;

    private NftablesFirewall(List<String> prefix) {
        this.prefix = prefix;
    }

    /**
     * Creates (or re-creates, keeping nothing) the table.
     *
     * @param prefix what runs nft: {@code ["nft"]}, or e.g. {@code ["ip", "netns", "exec", "ns1", "nft"]}
     * @throws IOException with nft's own words when the table cannot be made
     */
    public static NftablesFirewall open(List<String> prefix) throws IOException {
        return open(prefix, java.util.Map.of());
    }

    /**
     * The table made anew with {@code blocks} in its sets (address to seconds left, 0: until
     * unblocked), in one nft transaction: a table the previous version left is replaced with no
     * moment in which a blocked source gets through.
     */
    public static NftablesFirewall open(List<String> prefix, java.util.Map<InetAddress, Long> blocks) throws IOException {
        NftablesFirewall f = new NftablesFirewall(List.copyOf(prefix));
        StringBuilder v4 = new StringBuilder();
        StringBuilder v6 = new StringBuilder();
        blocks.forEach((a, seconds) -> {
            StringBuilder b = a instanceof java.net.Inet6Address ? v6 : v4;
            b.append(b.length() == 0 ? "" : ", ").append(a.getHostAddress()).append(seconds > 0 ? " timeout " + seconds + "s" : "");
        });
        f.run(List.of("-f", "-"), "table inet " + TABLE + " {}\n"
                + "delete table inet " + TABLE + "\n"
                + "table inet " + TABLE + " {\n"
                + "  set blocked4 { type ipv4_addr; flags timeout;" + (v4.length() == 0 ? "" : " elements = { " + v4 + " };") + " }\n"
                + "  set blocked6 { type ipv6_addr; flags timeout;" + (v6.length() == 0 ? "" : " elements = { " + v6 + " };") + " }\n"
                + "  chain input {\n"
                + "    type filter hook input priority -10; policy accept;\n"
                + "    ip saddr @blocked4 drop\n"
                + "    ip6 saddr @blocked6 drop\n"
                + "  }\n"
                + "}\n");
        return f;
    }

    /**
     * Removes a table an earlier instance left in the kernel when it did not stop (a crash, a kill):
     * its sets would go on dropping sources nobody enforces any more, until their timeouts. Does
     * nothing where nft is not installed (no process is started then) or there is no such table.
     *
     * @return whether a table was removed
     */
    public static boolean removeStale(List<String> prefix) {
        if (prefix.equals(List.of("nft")) && java.util.stream.Stream.of("/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft")
                .noneMatch(f -> java.nio.file.Files.isExecutable(java.nio.file.Path.of(f)))) {
            return false;
        }
        try {
            new NftablesFirewall(List.copyOf(prefix)).run(List.of("delete", "table", "inet", TABLE), null);
            return true;
        } catch (IOException e) {
            return false; // no table, or no right to touch it
        }
    }

    @Override
    public String name() {
        return "nftables";
    }

    private static String set(InetAddress a) {
        return a instanceof Inet6Address ? "blocked6" : "blocked4";
    }

    @Override
    public void block(InetAddress address, long seconds) {
        String element = address.getHostAddress() + (seconds > 0 ? " timeout " + seconds + "s" : "");
        try {
            run(List.of("-f", "-"), "delete element inet " + TABLE + " " + set(address) + " { " + address.getHostAddress() + " }\n");
        } catch (IOException e) {
            // not there yet: the usual case
        }
        try {
            run(List.of("add", "element", "inet", TABLE, set(address), "{ " + element + " }"), null);
        } catch (IOException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public void unblock(InetAddress address) {
        try {
            run(List.of("delete", "element", "inet", TABLE, set(address), "{ " + address.getHostAddress() + " }"), null);
        } catch (IOException e) {
            // already gone (expired in the kernel)
        }
    }

    /** The addresses in the kernel's sets now, as nft lists them. */
    public String list() throws IOException {
        return run(List.of("list", "table", "inet", TABLE), null);
    }

    @Override
    public void close() {
        try {
            run(List.of("delete", "table", "inet", TABLE), null);
        } catch (IOException e) {
            // nothing to remove
        }
    }

    private String run(List<String> args, String stdin) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (stdin != null) {
            p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("nft did not finish in 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        if (p.exitValue() != 0) {
            throw new IOException("nft " + String.join(" ", args) + ": " + out.strip().lines().reduce((a, b) -> b).orElse("exit " + p.exitValue()));
        }
        return out;
    }
}
