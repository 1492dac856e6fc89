package org.besip.pbx.internal.proxy;

import org.besip.pbx.internal.transport.Sender;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.besip.pbx.internal.auth.DigestAuthenticator;
import org.besip.pbx.internal.sip.SipMessage;
import org.besip.pbx.internal.sip.SipMessage.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The box registers with its providers (a trunk with credentials): REGISTER to the trunk's
 * address, answering a 401/407 digest challenge once per attempt, refreshed at 80 % of the expiry
 * the provider granted; retransmitted over UDP (every second, 8 times) and retried after a minute
 * when the provider refuses or does not answer. Runs on a timer thread of its own; responses come
 * from the transport thread through {@link #response}.
 */
public final class TrunkRegistration implements AutoCloseable {

    /** A provider account: where, who, for how long. */
    public record Account(String trunk, InetSocketAddress provider, String user, String password, String domain, int expiresS) {
    }

    /** What the page shows. */
    public record Status(String trunk, String state, String detail, long expiresAtMs) {
    }

    static final String BRANCH_PREFIX = "z9hG4bK-bxreg-";
    static final long RETRY_MS = 60_000;
    static final int RETRANSMITS = 8;
    private static final Logger LOG = LoggerFactory.getLogger(TrunkRegistration.class);

    /**
     * A registration in force, as the module's next version takes it on: the same Call-ID and
     * CSeq go on, and the next REGISTER is the refresh that was due, not a new registration.
     */
    public record Held(Account account, String callId, long cseq, long expiresAtMs, long refreshAtMs) {
    }

    private final class Client {
        final Account account;
        String callId = hex(12) + "@besip";
        long cseq;
        int nc;
        String state = "registering";
        String detail = "";
        long expiresAtMs;
        long nextAtMs;
        String branch;
        byte[] pending;
        int retransmitsLeft;
        boolean challenged;

        Client(Account a) {
            account = a;
        }

        String aor() {
            return "sip:" + account.user() + "@" + account.domain();
        }

        void send(String authorization, String authHeader, long now) {
            cseq++;
            branch = BRANCH_PREFIX + hex(8);
            List<Header> h = new ArrayList<>();
            h.add(new Header("Via", "SIP/2.0/UDP " + host + ":" + port + ";branch=" + branch + ";rport"));
            h.add(new Header("Max-Forwards", "70"));
            h.add(new Header("From", "<" + aor() + ">;tag=" + callId.substring(0, 8)));
            h.add(new Header("To", "<" + aor() + ">"));
            h.add(new Header("Call-ID", callId));
            h.add(new Header("CSeq", cseq + " REGISTER"));
            h.add(new Header("Contact", "<sip:" + account.user() + "@" + host + ":" + port + ">"));
            h.add(new Header("Expires", String.valueOf(account.expiresS())));
            h.add(new Header("User-Agent", "besip"));
            if (authorization != null) {
                h.add(new Header(authHeader, authorization));
            }
            pending = SipMessage.request("REGISTER", "sip:" + account.domain(), h, new byte[0]).toBytes();
            retransmitsLeft = RETRANSMITS;
            nextAtMs = now + 1000;
            sender.send(pending, account.provider());
        }
    }

    private final String host;
    private final int port;
    private final Sender sender;
    private final List<Client> clients = new ArrayList<>();
    private final ScheduledExecutorService timer;
    private final SecureRandom random = new SecureRandom();

    public TrunkRegistration(List<Account> accounts, String host, int port, Sender sender) {
        this(accounts, host, port, sender, List.of());
    }

    /** @param held registrations a previous version had in force: an account among them refreshes when that was due */
    public TrunkRegistration(List<Account> accounts, String host, int port, Sender sender, List<Held> held) {
        this.host = host;
        this.port = port;
        this.sender = sender;
        long now = System.currentTimeMillis();
        for (Account a : accounts) {
            Client c = new Client(a);
            for (Held h : held) {
                if (same(h.account(), a) && h.expiresAtMs() > now) {
                    c.callId = h.callId();
                    c.cseq = h.cseq();
                    c.state = "registered";
                    c.expiresAtMs = h.expiresAtMs();
                    c.nextAtMs = h.refreshAtMs();
                    c.detail = "taken over, until " + java.time.Instant.ofEpochMilli(h.expiresAtMs());
                }
            }
            clients.add(c);
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pbx-trunk-register");
            t.setDaemon(true);
            return t;
        });
        if (!clients.isEmpty()) {
            timer.scheduleWithFixedDelay(() -> {
                try {
                    tick(System.currentTimeMillis());
                } catch (RuntimeException e) {
                    LOG.warn("trunk registration: {}", e.toString());
                }
            }, 0, 500, TimeUnit.MILLISECONDS);
        }
    }

    /** Sends what is due: first registrations, refreshes, retransmissions, retries. */
    public synchronized void tick(long now) {
        for (Client c : clients) {
            if (now < c.nextAtMs) {
                continue;
            }
            if (c.pending != null) {
                if (c.retransmitsLeft-- > 0) {
                    sender.send(c.pending, c.account.provider());
                    c.nextAtMs = now + 1000;
                } else {
                    c.pending = null;
                    state(c, "failed", "no answer from " + c.account.provider(), now + RETRY_MS);
                }
            } else {
                c.challenged = false;
                c.send(null, null, now);
            }
        }
    }

    /** Whether a response belongs to a registration (its top Via is the box's, with our branch). */
    public static boolean isOurs(SipMessage res) {
        String via = res.first("Via");
        return via != null && via.contains(";branch=" + BRANCH_PREFIX);
    }

    public synchronized void response(SipMessage res) {
        long now = System.currentTimeMillis();
        String via = res.first("Via");
        for (Client c : clients) {
            if (c.pending == null || via == null || !via.contains(";branch=" + c.branch)) {
                continue;
            }
            int status = res.status();
            if (status < 200) {
                c.retransmitsLeft = RETRANSMITS; // provisional: keep waiting, stop resending quickly
                c.nextAtMs = now + 4000;
                return;
            }
            c.pending = null;
            if ((status == 401 || status == 407) && !c.challenged) {
                String header = status == 401 ? "WWW-Authenticate" : "Proxy-Authenticate";
                String answer = null;
                for (String challenge : res.all(header)) {
                    answer = DigestAuthenticator.answer(challenge, c.account.user(), c.account.password(), "REGISTER",
                            "sip:" + c.account.domain(), ++c.nc, hex(8));
                    if (answer != null) {
                        break;
                    }
                }
                if (answer == null) {
                    state(c, "failed", "the provider's challenge is not MD5 or SHA-256 digest", now + RETRY_MS);
                    return;
                }
                c.challenged = true;
                c.send(answer, status == 401 ? "Authorization" : "Proxy-Authorization", now);
                return;
            }
            if (status >= 200 && status < 300) {
                int granted = granted(res, c);
                long refresh = Math.max(5_000, granted * 800L); // at 80 % of what was granted
                c.expiresAtMs = now + granted * 1000L;
                state(c, "registered", "for " + granted + " s", now + refresh);
                return;
            }
            state(c, "failed", status + " " + res.reason(), now + RETRY_MS);
            return;
        }
    }

    private int granted(SipMessage res, Client c) {
        String me = "@" + host + ":" + port;
        for (String contact : res.all("Contact")) {
            if (contact.contains(me)) {
                int e = org.besip.pbx.internal.sip.NameAddr.parse(contact).expires(-1);
                if (e >= 0) {
                    return e;
                }
            }
        }
        String e = res.first("Expires");
        try {
            return e == null ? c.account.expiresS() : Integer.parseInt(e.trim());
        } catch (NumberFormatException x) {
            return c.account.expiresS();
        }
    }

    private void state(Client c, String state, String detail, long nextAtMs) {
        if (!state.equals(c.state) || !detail.equals(c.detail)) {
            LOG.info("trunk {}: {} ({})", c.account.trunk(), state, detail);
        }
        c.state = state;
        c.detail = detail;
        c.nextAtMs = nextAtMs;
    }

    /** The same registration at the provider: trunk, account, domain and provider address (a new password changes none of it). */
    static boolean same(Account a, Account b) {
        return a.trunk().equals(b.trunk()) && a.user().equals(b.user()) && a.domain().equals(b.domain()) && a.provider().equals(b.provider());
    }

    /** The registrations in force with nothing in flight, for the module's next version. */
    public synchronized List<Held> held() {
        List<Held> out = new ArrayList<>();
        for (Client c : clients) {
            if (c.state.equals("registered") && c.pending == null) {
                out.add(new Held(c.account, c.callId, c.cseq, c.expiresAtMs, c.nextAtMs));
            }
        }
        return out;
    }

    public synchronized List<Status> status() {
        return clients.stream().map(c -> new Status(c.account.trunk(), c.state, c.detail, c.expiresAtMs)).toList();
    }

    private String hex(int bytes) {
        byte[] b = new byte[bytes];
        random.nextBytes(b);
        return HexFormat.of().formatHex(b).toLowerCase(Locale.ROOT);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
