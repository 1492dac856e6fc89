package org.besip.security.internal.mail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;

import jakarta.mail.internet.MimeMessage;

/**
 * The report's submission over TLS, against real servers holding a certificate for 127.0.0.1
 * that the test makes (keytool): implicit TLS (RFC 8314) against GreenMail's SMTPS, and STARTTLS
 * (RFC 3207) against Debian's aiosmtpd with STARTTLS required and AUTH only after it (GreenMail's
 * SMTP has no STARTTLS). The client checks the certificate names the host.
 */
class SmtpClientTlsTest {

    @TempDir
    static Path dir;
    static Path keystore;
    static SSLSocketFactory trusting;

    @BeforeAll
    static void certificate() throws Exception {
        keystore = dir.resolve("box.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-alias", "box", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", "changeit", "-keypass",
                "changeit").redirectErrorStream(true).start();
        String out = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0, out);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, "changeit".toCharArray());
        }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("box", ks.getCertificate("box"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        trusting = ctx.getSocketFactory();
        // GreenMail's SMTPS serves this certificate instead of its own (which names no host)
        System.setProperty("greenmail.tls.keystore.file", keystore.toString());
        System.setProperty("greenmail.tls.keystore.password", "changeit");
        System.setProperty("greenmail.tls.key.password", "changeit");
    }

    @Test
    void aReportArrivesOverImplicitTls() throws Exception {
        int port = SmtpClientTest.freePort();
        GreenMail mail = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTPS));
        mail.setUser("besip", "s3cret");
        mail.start();
        try {
            SmtpClient.Server server = new SmtpClient.Server("127.0.0.1", port, SmtpClient.Security.TLS, "besip", "s3cret", 5000);
            SmtpClient.send(server, trusting, "besip@box.example", List.of("noc@example.com"), "besip security: 1 block", "over TLS");
            MimeMessage[] got = mail.getReceivedMessages();
            assertEquals(1, got.length);
            assertEquals("besip security: 1 block", got[0].getSubject());
            assertTrue(GreenMailUtil.getBody(got[0]).contains("over TLS"));
            var untrusted = assertThrows(java.io.IOException.class, () -> SmtpClient.send(server, "besip@box.example",
                    List.of("noc@example.com"), "x", "y"), "a certificate the JVM does not trust is refused");
            assertTrue(untrusted instanceof javax.net.ssl.SSLException, untrusted.toString());
        } finally {
            mail.stop();
        }
    }

    @Test
    void aReportArrivesAfterStarttlsWithAuthentication() throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, "changeit".toCharArray());
        }
        Path cert = dir.resolve("box.crt");
        Path key = dir.resolve("box.key");
        Certificate c = ks.getCertificate("box");
        Files.writeString(cert, pem("CERTIFICATE", c.getEncoded()));
        Files.writeString(key, pem("PRIVATE KEY", ks.getKey("box", "changeit".toCharArray()).getEncoded()));
        int port = SmtpClientTest.freePort();
        Path script = Path.of("src/test/python/smtpd_starttls.py").toAbsolutePath();
        Process smtpd = new ProcessBuilder("/usr/bin/python3", script.toString(), String.valueOf(port), cert.toString(), key.toString(),
                "besip", "s3cret").redirectError(dir.resolve("smtpd.err").toFile()).start(); // its warnings apart from its lines
        try (BufferedReader out = new BufferedReader(new InputStreamReader(smtpd.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("ready", out.readLine(), "aiosmtpd (Debian python3-aiosmtpd) started: " + Files.readString(dir.resolve("smtpd.err")));
            SmtpClient.Server server = new SmtpClient.Server("127.0.0.1", port, SmtpClient.Security.STARTTLS, "besip", "s3cret", 5000);
            SmtpClient.send(server, trusting, "besip@box.example", List.of("noc@example.com"), "besip security: 2 blocks", "after STARTTLS");
            String received = out.readLine();
            assertTrue(received != null && received.contains("\"tls\": true") && received.contains("\"authenticated\": true")
                    && received.contains("\"to\": [\"noc@example.com\"]") && received.contains("Subject: besip security: 2 blocks")
                    && received.contains("after STARTTLS"), String.valueOf(received));

            SmtpClient.Server plain = new SmtpClient.Server("127.0.0.1", port, SmtpClient.Security.NONE, "besip", "s3cret", 5000);
            var refused = assertThrows(SmtpClient.SmtpException.class, () -> SmtpClient.send(plain, trusting, "besip@box.example",
                    List.of("noc@example.com"), "x", "y"), "a server that wants STARTTLS refuses plain submission");
            assertTrue(refused.getMessage().contains("530"), refused.getMessage());
        } finally {
            smtpd.getOutputStream().close();
            if (!smtpd.waitFor(10, TimeUnit.SECONDS)) {
                smtpd.destroyForcibly();
            }
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
