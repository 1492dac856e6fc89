package bench;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Properties;

import javax.sip.ListeningPoint;
import javax.sip.RequestEvent;
import javax.sip.ServerTransaction;
import javax.sip.SipFactory;
import javax.sip.SipListener;
import javax.sip.SipProvider;
import javax.sip.SipStack;
import javax.sip.address.AddressFactory;
import javax.sip.header.AuthorizationHeader;
import javax.sip.header.ContactHeader;
import javax.sip.header.HeaderFactory;
import javax.sip.header.ToHeader;
import javax.sip.header.WWWAuthenticateHeader;
import javax.sip.message.MessageFactory;
import javax.sip.message.Request;
import javax.sip.message.Response;

/**
 * The same job as besip's registrar (REGISTER, a 401 MD5/qop=auth challenge, check, 200 with the
 * contact) on the JAIN-SIP reference implementation, stateful as its API is meant to be used:
 * {@code java bench.JainSipRegistrar HOST PORT PASSWORD}.
 */
public final class JainSipRegistrar implements SipListener {

    private final SipProvider provider;
    private final MessageFactory messages;
    private final HeaderFactory headers;
    private final String password;
    private final String nonce;

    JainSipRegistrar(SipProvider provider, MessageFactory messages, HeaderFactory headers, String password) {
        this.provider = provider;
        this.messages = messages;
        this.headers = headers;
        this.password = password;
        byte[] n = new byte[16];
        new SecureRandom().nextBytes(n);
        this.nonce = HexFormat.of().formatHex(n);
    }

    public static void main(String[] args) throws Exception {
        SipFactory f = SipFactory.getInstance();
        f.setPathName("gov.nist");
        Properties p = new Properties();
        p.setProperty("javax.sip.STACK_NAME", "registrar");
        p.setProperty("gov.nist.javax.sip.TRACE_LEVEL", "0");
        p.setProperty("gov.nist.javax.sip.THREAD_POOL_SIZE", "4");
        p.setProperty("gov.nist.javax.sip.REENTRANT_LISTENER", "true");
        SipStack stack = f.createSipStack(p);
        ListeningPoint lp = stack.createListeningPoint(args[0], Integer.parseInt(args[1]), "udp");
        SipProvider provider = stack.createSipProvider(lp);
        provider.addSipListener(new JainSipRegistrar(provider, f.createMessageFactory(), f.createHeaderFactory(), args[2]));
        System.out.println("jain-sip registrar on " + args[0] + ":" + args[1]);
        Thread.currentThread().join();
    }

    @Override
    public void processRequest(RequestEvent e) {
        Request req = e.getRequest();
        try {
            ServerTransaction tx = e.getServerTransaction() != null ? e.getServerTransaction() : provider.getNewServerTransaction(req);
            if (!req.getMethod().equals(Request.REGISTER)) {
                tx.sendResponse(messages.createResponse(Response.NOT_IMPLEMENTED, req));
                return;
            }
            AuthorizationHeader auth = (AuthorizationHeader) req.getHeader(AuthorizationHeader.NAME);
            if (auth == null || !valid(auth)) {
                Response r = messages.createResponse(Response.UNAUTHORIZED, req);
                WWWAuthenticateHeader w = headers.createWWWAuthenticateHeader("Digest");
                w.setRealm("besip");
                w.setNonce(nonce);
                w.setAlgorithm("MD5");
                w.setQop("auth");
                r.addHeader(w);
                ((ToHeader) r.getHeader(ToHeader.NAME)).setTag("jain");
                tx.sendResponse(r);
                return;
            }
            Response ok = messages.createResponse(Response.OK, req);
            ((ToHeader) ok.getHeader(ToHeader.NAME)).setTag("jain");
            ContactHeader c = (ContactHeader) req.getHeader(ContactHeader.NAME);
            if (c != null) {
                ok.addHeader(c);
            }
            tx.sendResponse(ok);
        } catch (Exception ex) {
            // a lost transaction is counted by sipp as a failure
        }
    }

    private boolean valid(AuthorizationHeader a) throws Exception {
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        String ha1 = hex(md5, a.getUsername() + ":" + a.getRealm() + ":" + password);
        String ha2 = hex(md5, "REGISTER:" + a.getURI());
        String expected = hex(md5, ha1 + ":" + a.getNonce() + ":" + String.format("%08x", a.getNonceCount()) + ":"
                + a.getCNonce() + ":" + a.getQop() + ":" + ha2);
        return expected.equals(a.getResponse());
    }

    private static String hex(MessageDigest md, String s) {
        md.reset();
        return HexFormat.of().formatHex(md.digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @Override
    public void processResponse(javax.sip.ResponseEvent e) {
    }

    @Override
    public void processTimeout(javax.sip.TimeoutEvent e) {
    }

    @Override
    public void processIOException(javax.sip.IOExceptionEvent e) {
    }

    @Override
    public void processTransactionTerminated(javax.sip.TransactionTerminatedEvent e) {
    }

    @Override
    public void processDialogTerminated(javax.sip.DialogTerminatedEvent e) {
    }
}
