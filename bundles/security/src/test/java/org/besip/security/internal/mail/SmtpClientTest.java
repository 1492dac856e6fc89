package org.besip.security.internal.mail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;

import jakarta.mail.internet.MimeMessage;

/** The report's SMTP submission against GreenMail, a real SMTP server in the test. */
class SmtpClientTest {

    static final int PORT = freePort();

    @RegisterExtension
    static final GreenMailExtension MAIL = new GreenMailExtension(new ServerSetup(PORT, "127.0.0.1", ServerSetup.PROTOCOL_SMTP))
            .withConfiguration(com.icegreen.greenmail.configuration.GreenMailConfiguration.aConfig().withUser("besip", "s3cret"));

    static int freePort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aReportArrivesWithAuthenticationDotStuffingAndAUtf8Subject() throws Exception {
        SmtpClient.send(new SmtpClient.Server("127.0.0.1", PORT, SmtpClient.Security.NONE, "besip", "s3cret", 5000), "besip@box.example",
                List.of("admin@example.com", "noc@example.com"), "besip security: 2 blocks – Brno", "line one\n.hidden dot\nend");
        MimeMessage[] got = MAIL.getReceivedMessages();
        assertEquals(2, got.length, "one per recipient");
        assertEquals("besip security: 2 blocks – Brno", got[0].getSubject());
        assertEquals("besip@box.example", got[0].getFrom()[0].toString());
        String body = GreenMailUtil.getBody(got[0]);
        assertTrue(body.contains("line one\r\n.hidden dot\r\nend"), body);
    }

    @Test
    void refusalsAndBadInputAreClearErrors() {
        SmtpClient.Server s = new SmtpClient.Server("127.0.0.1", PORT, SmtpClient.Security.NONE, "besip", "wrong", 5000);
        var e = assertThrows(SmtpClient.SmtpException.class, () -> SmtpClient.send(s, "besip@box", List.of("a@b.c"), "x", "y"));
        assertTrue(e.getMessage().startsWith("AUTH PLAIN ***: 535"), e.getMessage());
        assertTrue(assertThrows(SmtpClient.SmtpException.class, () -> SmtpClient.send(s, "besip@box", List.of("not an address"), "x", "y"))
                .getMessage().contains("not a mail address"));
        SmtpClient.Server tls = new SmtpClient.Server("127.0.0.1", PORT, SmtpClient.Security.STARTTLS, null, null, 5000);
        assertTrue(assertThrows(SmtpClient.SmtpException.class, () -> SmtpClient.send(tls, "besip@box", List.of("a@b.c"), "x", "y"))
                .getMessage().contains("does not offer STARTTLS"));
        SmtpClient.Server closed = new SmtpClient.Server("127.0.0.1", freePort(), SmtpClient.Security.NONE, null, null, 2000);
        assertThrows(java.io.IOException.class, () -> SmtpClient.send(closed, "besip@box", List.of("a@b.c"), "x", "y"));
    }
}
