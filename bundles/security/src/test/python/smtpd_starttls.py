#!/usr/bin/python3
"""A real SMTP submission server for SmtpClientTlsTest: Debian's aiosmtpd with STARTTLS required
and AUTH only after it. Args: port cert.pem key.pem user password. Prints 'ready' once it
listens, then one JSON line per message received (envelope, whether TLS and AUTH were in force,
the message text); stops when its standard input closes."""
import json
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        print(json.dumps({"from": envelope.mail_from, "to": envelope.rcpt_tos, "tls": session.ssl is not None,
                          "authenticated": bool(session.authenticated),
                          "text": envelope.content.decode("utf-8", "replace")}), flush=True)
        return "250 OK"


def authenticate(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
    return AuthResult(success=ok)


ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(cert, key)
controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=True,
                        authenticator=authenticate, auth_require_tls=True)
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
