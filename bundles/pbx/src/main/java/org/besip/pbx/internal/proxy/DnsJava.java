package org.besip.pbx.internal.proxy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The trunk resolver's questions asked with dnsjava (docs/dependencies.md): the configured DNS
 * servers, or the system's (/etc/resolv.conf) when none is. No answer is cached here: the
 * {@link TrunkResolver} keeps each one for its TTL and asks again when it runs out.
 */
public final class DnsJava implements TrunkResolver.Dns {

    private final Resolver resolver;

    /** @param servers the DNS servers to ask, in order; empty: the system's */
    public DnsJava(List<InetSocketAddress> servers) throws IOException {
        Resolver r;
        if (servers.isEmpty()) {
            r = Lookup.getDefaultResolver();
        } else {
            List<Resolver> each = new ArrayList<>();
            for (InetSocketAddress s : servers) {
                each.add(new SimpleResolver(s));
            }
            r = each.size() == 1 ? each.get(0) : new ExtendedResolver(each);
        }
        r.setTimeout(Duration.ofSeconds(3));
        this.resolver = r;
    }

    /**
     * A DNS server as configured: an IPv4 address, {@code a.b.c.d:port}, an IPv6 address or
     * {@code [v6]:port}; port 53 when none is given. Null for anything else (never a name lookup).
     */
    public static InetSocketAddress server(String text) {
        String t = text.trim();
        String host = t;
        int port = 53;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^\\[([0-9a-fA-F:.]+)\\](?::(\\d{1,5}))?$").matcher(t);
        java.util.regex.Matcher v4 = java.util.regex.Pattern.compile("^([0-9]{1,3}(?:\\.[0-9]{1,3}){3})(?::(\\d{1,5}))?$").matcher(t);
        if (m.matches()) {
            host = m.group(1);
            port = m.group(2) == null ? 53 : Integer.parseInt(m.group(2));
        } else if (v4.matches()) {
            host = v4.group(1);
            port = v4.group(2) == null ? 53 : Integer.parseInt(v4.group(2));
        } else if (!t.matches("[0-9a-fA-F:]*:[0-9a-fA-F:.]*")) {
            return null;
        }
        java.net.InetAddress a = TrunkResolver.literalAddress(host);
        return a == null || port < 1 || port > 65535 ? null : new InetSocketAddress(a, port);
    }

    @Override
    public List<TrunkResolver.Srv> srv(String name) throws IOException {
        List<TrunkResolver.Srv> out = new ArrayList<>();
        for (Record r : ask(name, Type.SRV)) {
            if (r instanceof SRVRecord s) {
                out.add(new TrunkResolver.Srv(s.getPriority(), s.getWeight(), s.getPort(), s.getTarget().toString(), s.getTTL()));
            }
        }
        return out;
    }

    @Override
    public List<TrunkResolver.Address> addresses(String name) throws IOException {
        List<TrunkResolver.Address> out = new ArrayList<>();
        IOException failed = null;
        for (int type : new int[] { Type.A, Type.AAAA }) {
            Record[] records;
            try {
                records = ask(name, type);
            } catch (IOException e) {
                failed = e; // a resolver that refuses AAAA (or A) still gives the other family
                continue;
            }
            for (Record r : records) {
                if (r instanceof ARecord a) {
                    out.add(new TrunkResolver.Address(a.getAddress(), a.getTTL()));
                } else if (r instanceof AAAARecord a) {
                    out.add(new TrunkResolver.Address(a.getAddress(), a.getTTL()));
                }
            }
        }
        if (out.isEmpty() && failed != null) {
            throw failed;
        }
        return out;
    }

    private Record[] ask(String name, int type) throws IOException {
        Lookup l;
        try {
            l = new Lookup(Name.fromString(name.endsWith(".") ? name : name + "."), type, DClass.IN);
        } catch (TextParseException e) {
            throw new IOException("not a DNS name: " + name);
        }
        l.setResolver(resolver);
        l.setCache(null); // the trunk resolver keeps answers for their TTL; nothing older is kept here
        Record[] records = l.run();
        switch (l.getResult()) {
            case Lookup.SUCCESSFUL:
                return records == null ? new Record[0] : records;
            case Lookup.HOST_NOT_FOUND:
            case Lookup.TYPE_NOT_FOUND:
                return new Record[0];
            default:
                throw new IOException(Type.string(type) + " " + name + ": " + l.getErrorString());
        }
    }
}
