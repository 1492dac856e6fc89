package org.besip.pbx.internal.proxy;

import org.besip.pbx.internal.transport.Sender;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.besip.pbx.internal.sip.SipMessage;
import org.besip.pbx.internal.sip.SipMessage.Header;

/**
 * The proxy's transaction layer (RFC 3261 §17, §16.6–16.10): a server transaction per request the
 * box forwards, a client transaction per branch it sends, with the UDP timers — A/E
 * retransmission (T1 doubling, capped at T2 for non-INVITE), B/F timeout answered 408, C for a
 * branch that rings for ever (CANCEL, then 408), G for the box's own non-2xx final answer until the
 * caller's ACK. Branches of a forked request: 1xx and 2xx go upstream at once (a 2xx cancels the
 * others), the best final answer of the others (6xx first, then the lowest class; 503 becomes 500)
 * goes when all are done. A non-2xx final answer is ACKed hop by hop here; the caller's ACK of it
 * ends here. CANCEL of a request in progress is answered 200 and CANCELs every branch that has
 * rung (a branch still silent is cancelled when its first provisional answer comes).
 *
 * <p>Bounded: at most {@link #MAX} transactions of each kind; a finished transaction lingers
 * {@link #LINGER_MS} (a non-2xx INVITE answer {@link #TIMEOUT_MS}) to absorb retransmissions, then
 * goes. All state of one request is guarded by its server transaction's monitor; timers run on the
 * scheduler's thread and never block.
 */
final class Transactions {

    static final long T1 = 500;
    static final long T2 = 4_000;
    static final long TIMEOUT_MS = 64 * T1;
    static final long TIMER_C_MS = 180_000;
    static final long LINGER_MS = 5_000;
    static final int MAX = 16_384;

    /** Runs a task later (returns what cancels it) and tells the time, in milliseconds. */
    interface Scheduler {
        Runnable schedule(Runnable task, long delayMs);

        long now();

        /** An executor's scheduler; a cancelled timer leaves its queue at once (set on {@code executor}). */
        static Scheduler of(ScheduledExecutorService executor) {
            if (executor instanceof java.util.concurrent.ScheduledThreadPoolExecutor stpe) {
                stpe.setRemoveOnCancelPolicy(true); // Timer B, C and F are nearly always cancelled: never let them pile up
            }
            return new Scheduler() {
                @Override
                public Runnable schedule(Runnable task, long delayMs) {
                    try {
                        ScheduledFuture<?> f = executor.schedule(task, delayMs, TimeUnit.MILLISECONDS);
                        return () -> f.cancel(false);
                    } catch (java.util.concurrent.RejectedExecutionException e) {
                        return () -> { }; // shutting down: timers no longer matter
                    }
                }

                @Override
                public long now() {
                    return System.nanoTime() / 1_000_000;
                }
            };
        }
    }

    /** The box's side of a request it forwards. */
    final class Server {
        final String key;
        SipMessage request;
        /** The request as it came, kept while the transaction lingers: its answers are built on it (a B2BUA's, a second 2xx's). */
        final SipMessage first;
        final InetSocketAddress upstream;
        final boolean reliable;
        final boolean invite;
        final List<Client> branches = new ArrayList<>();
        byte[] last;
        int lastStatus;
        boolean cancelled;
        boolean acked;
        SipMessage best;
        /** Whether {@code best} is the box's own answer (a 408), which carries no Via of ours to take off. */
        boolean bestOwn;
        Runnable timerG = () -> { };

        Server(String key, SipMessage request, InetSocketAddress upstream, boolean reliable) {
            this.key = key;
            this.request = request;
            this.first = request;
            this.upstream = upstream;
            this.reliable = reliable;
            this.invite = request.method().equals("INVITE");
        }
    }

    /**
     * Answers a 401/407 a branch got from a provider (RFC 3261 §22.2, the box as the provider's
     * client): the request again, for {@code branch}, with credentials; null when it has none for
     * that challenge.
     */
    interface ChallengeAnswer {
        SipMessage retry(SipMessage challenge, String branch);
    }

    /**
     * Where a request goes when its branch to a trunk failed with 408 or 5xx: the next trunk's
     * attempt for {@code branch}, or null when there is none left.
     */
    interface Failover {
        Attempt next(SipMessage failure, String branch);
    }

    /** A request for a next hop, with what answers its challenges and what follows if it fails too. */
    record Attempt(SipMessage request, InetSocketAddress next, ChallengeAnswer challenged, Failover failover) {
    }

    /** One branch the box sent (or a request of its own: a CANCEL, a BYE; then {@code server} is null). */
    final class Client {
        final Server server;
        final String key;
        SipMessage request;
        byte[] bytes;
        final InetSocketAddress next;
        final boolean invite;
        /** Sent over a stream: no retransmissions, and the ACK and CANCEL go the same way. */
        final boolean reliable;
        int status;
        boolean cancelPending;
        Runnable retransmit = () -> { };
        Runnable timeout = () -> { };
        /** Who answers a provider's challenge on this branch, once; null: the challenge goes up like any answer. */
        ChallengeAnswer challenged;
        /** Where the request goes when this branch fails with 408 or 5xx; null: the failure is the branch's answer. */
        Failover failover;
        /** For a request of the box's own: told its final answer, or null when none came (Timer B/F), once; null: nobody asks. */
        Consumer<SipMessage> answered;

        Client(Server server, String branch, SipMessage request, InetSocketAddress next, boolean reliable) {
            this.reliable = reliable;
            this.server = server;
            this.key = branch + "|" + request.method();
            this.request = request;
            this.bytes = request.toBytes();
            this.next = next;
            this.invite = request.method().equals("INVITE");
        }

        Object lock() {
            return server != null ? server : this;
        }
    }

    private final Map<String, Server> servers = new ConcurrentHashMap<>();
    private final Map<String, Client> clients = new ConcurrentHashMap<>();
    /** A finished transaction waiting to go: after its linger, or earlier when its table is full. */
    private record Finished(long dueMs, Map<String, ?> table, String key, Object value) {
        void remove() {
            table.remove(key, value);
        }
    }

    /** Finished transactions in the order they finished, one queue per linger so each is in due order. */
    private final java.util.Queue<Finished> lingering = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.Queue<Finished> lingeringLong = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final Sender sender;
    private final Scheduler scheduler;
    private final java.util.function.BiConsumer<SipMessage, SipMessage> respondedUpstream;

    Transactions(Sender sender, Scheduler scheduler, java.util.function.BiConsumer<SipMessage, SipMessage> respondedUpstream) {
        this.sender = sender;
        this.scheduler = scheduler;
        this.respondedUpstream = respondedUpstream;
    }

    /** The server-transaction key of a request: top Via branch and sent-by, Call-ID, CSeq number, method (ACK as INVITE). */
    static String key(SipMessage req, String method) {
        String via = String.valueOf(req.first("Via")).trim();
        int semi = via.indexOf(';');
        String sentBy = semi < 0 ? via : via.substring(0, semi);
        String branch = Proxy.param(semi < 0 ? "" : via.substring(semi), "branch");
        String cseq = String.valueOf(req.first("CSeq")).trim();
        int space = cseq.indexOf(' ');
        return branch + "|" + sentBy.toLowerCase(java.util.Locale.ROOT) + "|" + req.first("Call-ID") + "|"
                + (space < 0 ? cseq : cseq.substring(0, space)) + "|" + method;
    }

    long now() {
        return scheduler.now();
    }

    /** Runs {@code task} on the timer thread after {@code delayMs}; returns what cancels it. */
    Runnable schedule(Runnable task, long delayMs) {
        return scheduler.schedule(task, delayMs);
    }

    int size() {
        return servers.size() + clients.size();
    }

    /** Whether a request is a retransmission of one in progress; the last answer sent is sent again. */
    boolean retransmission(String key) {
        Server s = servers.get(key);
        if (s == null) {
            return false;
        }
        synchronized (s) {
            if (s.last != null) {
                sender.sendBack(s.last, s.upstream, s.reliable);
            }
        }
        return true;
    }

    /** Whether an ACK is the caller's ACK of the box's non-2xx final answer (it ends here). */
    boolean absorbAck(String inviteKey) {
        Server s = servers.get(inviteKey);
        if (s == null) {
            return false;
        }
        synchronized (s) {
            if (s.lastStatus < 300) {
                return false;
            }
            s.acked = true;
            s.timerG.run();
        }
        return true;
    }

    /** CANCEL of an INVITE in progress: its branches are cancelled and the 200 for the CANCEL returned; null when no such INVITE. */
    SipMessage cancel(String inviteKey, SipMessage cancel) {
        Server s = servers.get(inviteKey);
        if (s == null) {
            return null;
        }
        synchronized (s) {
            if (s.lastStatus < 200 && !s.cancelled) {
                s.cancelled = true;
                for (Client c : s.branches) {
                    cancelBranch(c);
                }
            }
        }
        return cancel.answer(200, "OK", null);
    }

    /**
     * Answers the INVITE in progress of {@code inviteKey} with what {@code answer} makes of it (a
     * pickup's 200), in place of its branches, which are cancelled; false when it is no longer in
     * progress or {@code answer} gives null.
     */
    boolean takeOver(String inviteKey, java.util.function.UnaryOperator<SipMessage> answer) {
        Server s = servers.get(inviteKey);
        if (s == null) {
            return false;
        }
        synchronized (s) {
            if (s.lastStatus >= 200 || s.cancelled || s.request == null) {
                return false;
            }
            SipMessage res = answer.apply(s.first);
            if (res == null) {
                return false;
            }
            sender.sendBack(res.toBytes(), s.upstream, s.reliable);
            try {
                respondedUpstream.accept(res, res);
            } catch (RuntimeException e) {
                // call tracking must never stop signalling
            }
            s.lastStatus = res.status();
            s.last = null;
            for (Client c : s.branches) {
                cancelBranch(c);
            }
            s.branches.removeIf(c -> c.status >= 200);
            s.request = null;
            s.best = null;
            finish(servers, s.key, s, LINGER_MS);
        }
        return true;
    }

    /**
     * The INVITEs in progress whose branches are plain (no provider credentials, no failover, no
     * request of the box's own), for the next version ({@link PendingInvite}); this table keeps them
     * and their timers, which end with the module.
     */
    List<PendingInvite> handOver() {
        List<PendingInvite> out = new ArrayList<>();
        for (Server s : servers.values()) {
            synchronized (s) {
                if (!s.invite || s.lastStatus >= 200 || s.cancelled || s.request == null || s.best != null || s.branches.isEmpty()) {
                    continue;
                }
                List<PendingInvite.Branch> open = new ArrayList<>();
                boolean plain = true;
                for (Client c : s.branches) {
                    plain &= c.challenged == null && c.failover == null && c.answered == null && c.bytes != null;
                    if (c.status < 200) {
                        open.add(new PendingInvite.Branch(c.key, c.bytes, c.next, c.reliable, c.status, c.cancelPending));
                    }
                }
                if (plain && !open.isEmpty() && open.size() == s.branches.size()) {
                    out.add(new PendingInvite(s.key, s.request.toBytes(), s.first.toBytes(), s.upstream, s.reliable, s.last, s.lastStatus,
                            List.copyOf(open)));
                }
            }
        }
        return out;
    }

    /**
     * Takes over the INVITEs in progress a previous version handed: their transactions, and the
     * branches' timers from now (Timer A and B for a branch that never answered, C for one that
     * rang). An entry whose messages do not parse, or whose key is in use, is skipped. Returns how
     * many were taken.
     */
    int takeOver(List<PendingInvite> handed) {
        int n = 0;
        for (PendingInvite p : handed) {
            if (servers.size() >= MAX || servers.containsKey(p.key())) {
                continue;
            }
            SipMessage request;
            SipMessage first;
            List<SipMessage> sent = new ArrayList<>();
            try {
                request = parse(p.request());
                first = parse(p.first());
                for (PendingInvite.Branch b : p.branches()) {
                    sent.add(parse(b.request()));
                }
            } catch (org.besip.pbx.internal.sip.SipParseException e) {
                continue;
            }
            Server s = new Server(p.key(), first, p.upstream(), p.reliable());
            synchronized (s) {
                s.request = request;
                s.last = p.last();
                s.lastStatus = p.lastStatus();
                for (int i = 0; i < p.branches().size(); i++) {
                    PendingInvite.Branch b = p.branches().get(i);
                    String branch = b.key().substring(0, Math.max(0, b.key().lastIndexOf('|')));
                    Client c = new Client(s, branch, sent.get(i), b.next(), b.reliable());
                    c.status = b.status();
                    c.cancelPending = b.cancelPending();
                    s.branches.add(c);
                    clients.put(c.key, c);
                    if (c.status == 0) {
                        sent(c);
                    } else {
                        c.timeout = scheduler.schedule(() -> timerC(c), TIMER_C_MS);
                    }
                }
                servers.put(s.key, s);
            }
            n++;
        }
        return n;
    }

    private static SipMessage parse(byte[] b) throws org.besip.pbx.internal.sip.SipParseException {
        if (b == null) {
            throw new org.besip.pbx.internal.sip.SipParseException("no message");
        }
        return org.besip.pbx.internal.sip.SipParser.parse(b, 0, b.length);
    }

    /** Opens the server transaction of a request about to be forwarded; null when the table is full. */
    Server open(String key, SipMessage request, InetSocketAddress upstream, boolean reliable) {
        sweep(scheduler.now());
        while (servers.size() >= MAX || clients.size() >= 2 * MAX) {
            Finished oldest = lingering.poll();
            if (oldest == null) {
                oldest = lingeringLong.poll();
            }
            if (oldest == null) {
                return null; // every slot holds a request in progress
            }
            oldest.remove();
        }
        Server s = new Server(key, request, upstream, reliable);
        Server before = servers.putIfAbsent(key, s);
        return before == null ? s : before;
    }

    /** Sends one branch of {@code s} (or a request of the box's own when {@code s} is null) and starts its timers. */
    void send(Server s, String branch, SipMessage out, InetSocketAddress next, boolean reliable) {
        send(s, branch, out, next, reliable, null);
    }

    /** The same; a 401/407 on the branch is answered once by {@code challenged} (a trunk with credentials). */
    void send(Server s, String branch, SipMessage out, InetSocketAddress next, boolean reliable, ChallengeAnswer challenged) {
        send(s, branch, out, next, reliable, challenged, null);
    }

    /** The same; a 408 or 5xx on the branch sends the request on to the next trunk {@code failover} names. */
    void send(Server s, String branch, SipMessage out, InetSocketAddress next, boolean reliable, ChallengeAnswer challenged,
            Failover failover) {
        send(s, branch, out, next, reliable, challenged, failover, null);
    }

    /** A request of the box's own whose final answer (null: none came) goes to {@code answered}. */
    void send(String branch, SipMessage out, InetSocketAddress next, boolean reliable, Consumer<SipMessage> answered) {
        send(null, branch, out, next, reliable, null, null, answered);
    }

    private void send(Server s, String branch, SipMessage out, InetSocketAddress next, boolean reliable, ChallengeAnswer challenged,
            Failover failover, Consumer<SipMessage> answered) {
        Client c = new Client(s, branch, out, next, reliable);
        c.challenged = challenged;
        c.failover = failover;
        c.answered = answered;
        synchronized (c.lock()) {
            clients.put(c.key, c);
            if (s != null) {
                s.branches.add(c);
            }
            sender.sendBack(c.bytes, next, reliable);
            sent(c);
        }
    }

    /** A branch was sent (or taken over before any answer): Timer A over UDP, Timer B or F. */
    private void sent(Client c) {
        if (!c.reliable) {
            retransmit(c, T1);
        }
        c.timeout = scheduler.schedule(() -> timeout(c), TIMEOUT_MS);
    }

    /** A finished transaction goes after {@code lingerMs} (swept as new requests come), or earlier when its table is full. */
    private void finish(Map<String, ?> table, String key, Object value, long lingerMs) {
        (lingerMs == LINGER_MS ? lingering : lingeringLong).add(new Finished(scheduler.now() + lingerMs, table, key, value));
    }

    /** Removes the finished transactions whose linger is over: the heads of the two queues, which are in due order. */
    void sweep(long now) {
        for (java.util.Queue<Finished> q : List.of(lingering, lingeringLong)) {
            for (Finished f = q.peek(); f != null && f.dueMs() <= now; f = q.peek()) {
                if (q.remove(f)) {
                    f.remove();
                }
            }
        }
    }

    private void retransmit(Client c, long interval) {
        c.retransmit = scheduler.schedule(() -> {
            synchronized (c.lock()) {
                if (c.status >= 200 || (c.invite && c.status >= 100) || clients.get(c.key) != c) {
                    return;
                }
                sender.send(c.bytes, c.next);
                retransmit(c, c.invite ? interval * 2 : Math.min(interval * 2, T2));
            }
        }, interval);
    }

    /** Timer B/F (or C's grace after its CANCEL): the branch is over with a 408 of the box's making. */
    private void timeout(Client c) {
        Consumer<SipMessage> told;
        synchronized (c.lock()) {
            if (c.status >= 200) {
                return;
            }
            c.status = 408;
            c.retransmit.run();
            clients.remove(c.key, c);
            if (c.server != null && c.server.lastStatus < 200 && !failOver(c, null)) {
                finalAnswer(c.server, c.server.request.answer(408, "Request Timeout", null), false);
            }
            told = c.answered;
            c.answered = null;
        }
        tell(told, null);
    }

    /** Tells the box's own request its outcome, outside every transaction's monitor (what it does next may send again). */
    private static void tell(Consumer<SipMessage> told, SipMessage res) {
        if (told != null) {
            try {
                told.accept(res);
            } catch (RuntimeException e) {
                // whoever asked must never stop the transaction layer
            }
        }
    }

    /** A response whose top Via is ours; false when no transaction of ours matches (the caller forwards it statelessly). */
    boolean response(SipMessage res) {
        String via = String.valueOf(res.first("Via")).trim();
        int semi = via.indexOf(';');
        String branch = Proxy.param(semi < 0 ? "" : via.substring(semi), "branch");
        String cseq = String.valueOf(res.first("CSeq")).trim();
        String method = cseq.substring(cseq.lastIndexOf(' ') + 1);
        Client c = clients.get(branch + "|" + method);
        if (c == null) {
            return false;
        }
        int status = res.status();
        Consumer<SipMessage> told = null;
        try {
            synchronized (c.lock()) {
                if (status >= 200 && c.status < 200) {
                    told = c.answered;
                    c.answered = null;
                }
                return answered(c, res, status);
            }
        } finally {
            tell(told, res);
        }
    }

    private boolean answered(Client c, SipMessage res, int status) {
        {
            if (c.status >= 200) {
                if (c.invite && c.status >= 300 && status >= 300) {
                    sendAck(c, res); // our ACK was lost
                    return true;
                }
                return status >= 300 || !c.invite; // a retransmitted 2xx of an INVITE goes on statelessly
            }
            if (status < 200) {
                boolean first = c.status == 0;
                c.status = status;
                if (c.invite && first) {
                    c.timeout.run();
                    c.timeout = scheduler.schedule(() -> timerC(c), TIMER_C_MS);
                }
                if (c.cancelPending) {
                    c.cancelPending = false;
                    sendCancel(c);
                }
                if (c.server != null && status > 100) {
                    provisional(c.server, res);
                }
                return true;
            }
            c.status = status;
            c.retransmit.run();
            c.timeout.run();
            if (c.invite && status >= 300) {
                sendAck(c, res);
                finish(clients, c.key, c, TIMEOUT_MS);
            } else if (c.invite) {
                clients.remove(c.key, c);
            } else {
                c.request = null; // only the key is needed to absorb retransmissions of the answer
                c.bytes = null;
                finish(clients, c.key, c, LINGER_MS);
            }
            if (c.server != null && (status == 401 || status == 407) && c.challenged != null) {
                answerChallenge(c, res);
                return true;
            }
            if (c.server != null && (status == 408 || status >= 500 && status < 600) && failOver(c, res)) {
                return true;
            }
            if (c.server != null) {
                finalAnswer(c.server, res, true);
            }
            return true;
        }
    }

    /**
     * A provider challenged a branch that carries the box's credentials for it: the branch gives
     * way to a new one with them (same CSeq, so the caller's ACK and CANCEL still match). A
     * challenge the box cannot answer is a 403 of the box's own; the provider's realm never
     * reaches the caller, who has no credentials for it.
     */
    private void answerChallenge(Client c, SipMessage challenge) {
        Server s = c.server;
        String branch = c.key.substring(0, c.key.lastIndexOf('|')) + "a";
        SipMessage retry = s.lastStatus >= 200 || s.cancelled ? null : c.challenged.retry(challenge, branch);
        if (retry == null) {
            finalAnswer(s, s.request == null ? challenge : s.request.answer(403, "Provider Refused The Credentials", null),
                    s.request == null);
            return;
        }
        s.branches.remove(c);
        send(s, branch, retry, c.next, c.reliable, (again, b) -> null, c.failover); // once: a second challenge is the provider's no
    }

    /**
     * A branch to a trunk failed (its 408 or 5xx, or {@code failure} null: no answer at all): the
     * request goes on to the next trunk on a new branch; false when there is none, or the call is
     * already answered or cancelled.
     */
    private boolean failOver(Client c, SipMessage failure) {
        Server s = c.server;
        if (c.failover == null || s.lastStatus >= 200 || s.cancelled || s.request == null) {
            return false;
        }
        String branch = c.key.substring(0, c.key.lastIndexOf('|')) + "f";
        Attempt a = c.failover.next(failure, branch);
        if (a == null) {
            return false;
        }
        s.branches.remove(c);
        send(s, branch, a.request(), a.next(), false, a.challenged(), a.failover());
        return true;
    }

    private void timerC(Client c) {
        synchronized (c.lock()) {
            if (c.status >= 200) {
                return;
            }
            sendCancel(c);
            c.timeout = scheduler.schedule(() -> timeout(c), TIMEOUT_MS);
        }
    }

    private void cancelBranch(Client c) {
        if (c.status >= 200) {
            return;
        }
        if (c.status >= 100) {
            sendCancel(c);
        } else {
            c.cancelPending = true; // RFC 3261 §9.1: not before the branch has answered provisionally
        }
    }

    private void provisional(Server s, SipMessage res) {
        if (s.lastStatus >= 200) {
            return;
        }
        byte[] bytes = upstream(s, res, true);
        s.last = bytes;
        s.lastStatus = res.status();
    }

    /** A branch ended with {@code res}: a 2xx goes up at once, the rest when every branch has ended, the best of them. */
    private void finalAnswer(Server s, SipMessage res, boolean fromBranch) {
        int status = res.status();
        if (status < 300) {
            byte[] bytes = upstream(s, res, fromBranch);
            if (s.lastStatus < 200) {
                s.lastStatus = status;
                s.last = s.invite ? null : bytes; // a 2xx of an INVITE is retransmitted by the callee, end to end
                if (s.invite) {
                    for (Client c : s.branches) {
                        cancelBranch(c);
                    }
                }
                s.branches.removeIf(c -> c.status >= 200); // what lingers is small: the key and the answer
                s.request = null;
                s.best = null;
                finish(servers, s.key, s, LINGER_MS);
            }
            return;
        }
        if (s.lastStatus >= 200) {
            return;
        }
        if (status >= 600 && s.invite) {
            for (Client c : s.branches) {
                cancelBranch(c);
            }
        }
        if (s.best == null || better(res, s.best)) {
            s.best = res;
            s.bestOwn = !fromBranch;
        }
        for (Client c : s.branches) {
            if (c.status < 200) {
                return;
            }
        }
        SipMessage best = s.best;
        boolean mine = s.bestOwn;
        if (best.status() == 503) {
            best = s.request.answer(500, "Service Unavailable Downstream", null); // RFC 3261 §16.7 step 6
            mine = true;
        }
        s.last = upstream(s, best, !mine);
        s.lastStatus = best.status();
        if (s.invite && !s.reliable) {
            timerG(s, T1);
        }
        s.best = null;
        s.request = null;
        s.branches.clear();
        finish(servers, s.key, s, s.invite ? TIMEOUT_MS : LINGER_MS);
    }

    private void timerG(Server s, long interval) {
        s.timerG = scheduler.schedule(() -> {
            synchronized (s) {
                if (s.acked || s.last == null || servers.get(s.key) != s) {
                    return;
                }
                sender.sendBack(s.last, s.upstream, s.reliable);
                timerG(s, Math.min(interval * 2, T2));
            }
        }, interval);
    }

    /** RFC 3261 §16.7 step 6: a 6xx first, else the lowest class. */
    private static boolean better(SipMessage a, SipMessage b) {
        int ca = a.status() / 100;
        int cb = b.status() / 100;
        if (ca == 6 || cb == 6) {
            return ca == 6 && cb != 6;
        }
        return ca < cb;
    }

    private volatile java.util.function.BinaryOperator<SipMessage> rewriteUpstream = (req, res) -> res;

    /**
     * What a response to a request becomes on its way to the caller (its SDP pointed at the media
     * relay; in a B2BUA, the answer on the caller's leg), or null when it goes nowhere; the
     * observer sees it as it came.
     */
    void rewriteUpstream(java.util.function.BinaryOperator<SipMessage> r) {
        rewriteUpstream = r;
    }

    /**
     * Sends a response to the caller; a branch's answer loses the box's Via first, and carries the
     * From the caller sent (a call out through a trunk presented another: RFC 3261 §8.2.6.2, the
     * caller's phone matches its own From).
     */
    private byte[] upstream(Server s, SipMessage res, boolean dropTopVia) {
        SipMessage observed = res;
        List<Header> h = res.headers();
        if (dropTopVia) {
            for (int i = 0; i < h.size(); i++) {
                if (h.get(i).name().equalsIgnoreCase("Via")) {
                    h.remove(i);
                    break;
                }
            }
        }
        String from = s.first.first("From");
        for (int i = 0; from != null && i < h.size(); i++) {
            if (h.get(i).name().equalsIgnoreCase("From") || h.get(i).name().equalsIgnoreCase("f")) {
                if (!h.get(i).value().equals(from)) {
                    h.set(i, new Header("From", from));
                }
                break;
            }
        }
        SipMessage out = rewriteUpstream.apply(s.first, res);
        if (out == null) {
            return null; // the B2BUA ended it here (a second fork's 2xx)
        }
        byte[] bytes = out.toBytes();
        sender.sendBack(bytes, s.upstream, s.reliable);
        try {
            respondedUpstream.accept(observed, out);
        } catch (RuntimeException e) {
            // call tracking must never stop signalling
        }
        return bytes;
    }

    /** The hop-by-hop ACK of a non-2xx final answer (RFC 3261 §17.1.1.3). */
    private void sendAck(Client c, SipMessage res) {
        List<Header> h = new ArrayList<>();
        h.add(new Header("Via", c.request.first("Via")));
        h.add(new Header("Max-Forwards", "70"));
        h.add(new Header("From", c.request.first("From")));
        h.add(new Header("To", res.first("To")));
        h.add(new Header("Call-ID", c.request.first("Call-ID")));
        h.add(new Header("CSeq", cseqNumber(c.request) + " ACK"));
        for (String r : c.request.all("Route")) {
            h.add(new Header("Route", r));
        }
        sender.sendBack(SipMessage.request("ACK", c.request.uri(), h, new byte[0]).toBytes(), c.next, c.reliable);
    }

    /** CANCEL of one branch (RFC 3261 §9.1): same Request-URI, Via, From, To, Call-ID, CSeq number. */
    private void sendCancel(Client c) {
        List<Header> h = new ArrayList<>();
        h.add(new Header("Via", c.request.first("Via")));
        h.add(new Header("Max-Forwards", "70"));
        h.add(new Header("From", c.request.first("From")));
        h.add(new Header("To", c.request.first("To")));
        h.add(new Header("Call-ID", c.request.first("Call-ID")));
        h.add(new Header("CSeq", cseqNumber(c.request) + " CANCEL"));
        for (String r : c.request.all("Route")) {
            h.add(new Header("Route", r));
        }
        SipMessage cancel = SipMessage.request("CANCEL", c.request.uri(), h, new byte[0]);
        String via = c.request.first("Via");
        send(null, Proxy.param(via.substring(via.indexOf(';')), "branch"), cancel, c.next, c.reliable);
    }

    private static String cseqNumber(SipMessage req) {
        String cseq = req.first("CSeq").trim();
        int space = cseq.indexOf(' ');
        return space < 0 ? cseq : cseq.substring(0, space);
    }
}
