package org.besip.security.internal.mail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Sends one plain-text message by SMTP submission (RFC 5321, RFC 6409): EHLO, STARTTLS (RFC 3207)
 * or implicit TLS (RFC 8314), AUTH PLAIN (RFC 4616) when a user is set, MAIL/RCPT/DATA with dot
 * stuffing, UTF-8 body (8BITMIME when offered, else quoted-printable is not needed: the report is
 * ASCII apart from names) and an RFC 2047 subject. Timeouts bound every step. Why not Jakarta
 * Mail: docs/dependencies.md.
 */
public final class SmtpClient {

    public enum Security {
        NONE, STARTTLS, TLS
    }

    /** Where and how to send; {@code username} null: no AUTH. */
    public record Server(String host, int port, Security security, String username, String password, int timeoutMs) {
    }

    /** The server said no, or the connection failed; the message is the server's reply or the I/O error. */
    public static final class SmtpException extends IOException {
        private static final long serialVersionUID = 1L;

        SmtpException(String message) {
            super(message);
        }
    }

    private SmtpClient() {
    }

    public static void send(Server server, String from, List<String> to, String subject, String body) throws IOException {
        send(server, (SSLSocketFactory) SSLSocketFactory.getDefault(), from, to, subject, body);
    }

    /** The same, trusting the certificates {@code tls} trusts (the JVM's default trust store above). */
    public static void send(Server server, SSLSocketFactory tls, String from, List<String> to, String subject, String body)
            throws IOException {
        if (to.isEmpty()) {
            throw new SmtpException("no recipient");
        }
        for (String a : to) {
            address(a);
        }
        address(from);
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress(server.host(), server.port()), server.timeoutMs());
            socket.setSoTimeout(server.timeoutMs());
            if (server.security() == Security.TLS) {
                socket = tls(tls, socket, server.host(), server.port());
            }
            Conversation c = new Conversation(socket);
            c.expect(220);
            List<String> ext = c.ehlo();
            if (server.security() == Security.STARTTLS) {
                if (ext.stream().noneMatch(e -> e.equalsIgnoreCase("STARTTLS"))) {
                    throw new SmtpException(server.host() + " does not offer STARTTLS");
                }
                c.command("STARTTLS", 220);
                socket = tls(tls, socket, server.host(), server.port());
                c = new Conversation(socket);
                ext = c.ehlo();
            }
            if (server.username() != null && !server.username().isEmpty()) {
                String token = Base64.getEncoder().encodeToString(("\0" + server.username() + "\0" + server.password())
                        .getBytes(StandardCharsets.UTF_8));
                c.command("AUTH PLAIN " + token, 235);
            }
            boolean eightBit = ext.stream().anyMatch(e -> e.equalsIgnoreCase("8BITMIME"));
            c.command("MAIL FROM:<" + from + ">" + (eightBit ? " BODY=8BITMIME" : ""), 250);
            for (String a : to) {
                c.command("RCPT TO:<" + a + ">", 250, 251);
            }
            c.command("DATA", 354);
            c.data(message(from, to, subject, body));
            c.expect(250);
            c.command("QUIT", 221);
        } finally {
            socket.close();
        }
    }

    private static void address(String a) throws SmtpException {
        if (a == null || !a.matches("[^\\s<>@\",;]+@[^\\s<>@\",;]+")) {
            throw new SmtpException("not a mail address: " + a);
        }
    }

    private static Socket tls(SSLSocketFactory factory, Socket plain, String host, int port) throws IOException {
        SSLSocket s = (SSLSocket) factory.createSocket(plain, host, port, true);
        var params = s.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS"); // the server's certificate must name the host
        s.setSSLParameters(params);
        s.startHandshake();
        return s;
    }

    static String message(String from, List<String> to, String subject, String body) {
        StringBuilder m = new StringBuilder();
        m.append("Date: ").append(DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now())).append("\r\n");
        m.append("From: ").append(from).append("\r\n");
        m.append("To: ").append(String.join(", ", to)).append("\r\n");
        m.append("Subject: ").append(subject.chars().allMatch(ch -> ch >= 32 && ch < 127) ? subject
                : "=?UTF-8?B?" + Base64.getEncoder().encodeToString(subject.getBytes(StandardCharsets.UTF_8)) + "?=").append("\r\n");
        m.append("Message-ID: <").append(UUID.randomUUID()).append('@').append(from.substring(from.indexOf('@') + 1)).append(">\r\n");
        m.append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
        for (String line : body.split("\r?\n", -1)) {
            m.append(line.startsWith(".") ? "." + line : line).append("\r\n"); // dot stuffing (RFC 5321 §4.5.2)
        }
        return m.toString();
    }

    /** One SMTP dialogue over a socket: commands out, multi-line replies in. */
    private static final class Conversation {
        private final BufferedReader in;
        private final OutputStream out;

        Conversation(Socket s) throws IOException {
            in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            out = s.getOutputStream();
        }

        /** Reads a reply; returns its lines (without the code), fails unless its code is one of {@code codes}. */
        List<String> expect(int... codes) throws IOException {
            List<String> lines = new ArrayList<>();
            String line;
            int code;
            do {
                line = in.readLine();
                if (line == null || line.length() < 3) {
                    throw new SmtpException("the server closed the connection");
                }
                try {
                    code = Integer.parseInt(line.substring(0, 3));
                } catch (NumberFormatException e) {
                    throw new SmtpException("not an SMTP reply: " + line);
                }
                lines.add(line.length() > 4 ? line.substring(4) : "");
                if (lines.size() > 100) {
                    throw new SmtpException("reply too long");
                }
            } while (line.length() > 3 && line.charAt(3) == '-');
            for (int c : codes) {
                if (c == code) {
                    return lines;
                }
            }
            throw new SmtpException(line);
        }

        List<String> command(String cmd, int... codes) throws IOException {
            out.write((cmd + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            try {
                return expect(codes);
            } catch (SmtpException e) {
                String shown = cmd.startsWith("AUTH") ? "AUTH PLAIN ***" : cmd;
                throw new SmtpException(shown + ": " + e.getMessage());
            }
        }

        List<String> ehlo() throws IOException {
            List<String> lines = command("EHLO besip", 250);
            return lines.subList(1, lines.size()).stream().map(l -> l.split(" ")[0].toUpperCase(Locale.ROOT)).toList();
        }

        void data(String message) throws IOException {
            out.write(message.getBytes(StandardCharsets.UTF_8));
            out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
    }
}
