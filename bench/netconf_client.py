#!/usr/bin/python3
"""A lean NETCONF load client: paramiko, base:1.1 chunked framing, one request in flight.
(ncclient polls its reader and caps any server near 10 RPC/s; design §7.)

usage: netconf_client.py HOST PORT USER (password:PW | key:FILE) COUNT SECONDS
       netconf_client.py HOST PORT USER (password:PW | key:FILE) bulk USERS
       netconf_client.py HOST PORT USER (password:PW | key:FILE) users USERS   (commits them, for the SIP benchmark)
Prints JSON: ops/s, p50 and p99 in ms for get-config and for edit-config + commit; or, bulk,
the seconds of one edit-config of USERS pbx users into the candidate, its commit, a get-config
of running, and the edit + commit that removes them again.
"""
import json
import re
import sys
import time

import paramiko

HOST, PORT, USER, CRED = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
BULK = sys.argv[5] in ("bulk", "users")
COUNT, SECONDS = (int(sys.argv[6]), 0.0) if BULK else (int(sys.argv[5]), float(sys.argv[6]))
PBX = "urn:besip:params:xml:ns:yang:besip-pbx"
SYS = "urn:besip:params:xml:ns:yang:besip-system"
NC = "urn:ietf:params:xml:ns:netconf:base:1.0"


class Session:
    def __init__(self):
        self.t = paramiko.Transport((HOST, PORT))
        if CRED.startswith("password:"):
            self.t.connect(username=USER, password=CRED[len("password:"):])
        else:
            self.t.connect(username=USER, pkey=paramiko.Ed25519Key.from_private_key_file(CRED[len("key:"):]))
        self.ch = self.t.open_session()
        self.ch.invoke_subsystem("netconf")
        self.buf = b""
        while b"]]>]]>" not in self.buf:
            self.buf += self.ch.recv(65536)
        self.buf = self.buf[self.buf.index(b"]]>]]>") + 6:]
        self.ch.sendall(('<hello xmlns="%s"><capabilities><capability>urn:ietf:params:netconf:base:1.1'
                         '</capability></capabilities></hello>]]>]]>' % NC).encode())
        self.mid = 0

    def _read_exact(self, n):
        while len(self.buf) < n:
            chunk = self.ch.recv(1 << 20)
            if not chunk:
                raise EOFError("server closed the channel")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _read_line(self):
        while b"\n" not in self.buf[1:]:
            chunk = self.ch.recv(1 << 20)
            if not chunk:
                raise EOFError("server closed the channel")
            self.buf += chunk
        i = self.buf.index(b"\n", 1)
        line, self.buf = self.buf[:i + 1], self.buf[i + 1:]
        return line

    def rpc(self, body):
        self.mid += 1
        msg = ('<rpc message-id="%d" xmlns="%s">%s</rpc>' % (self.mid, NC, body)).encode()
        self.ch.sendall(b"\n#%d\n" % len(msg) + msg + b"\n##\n")
        reply = b""
        while True:
            header = self._read_line()  # "\n#<n>\n" or "\n##\n"
            m = re.match(rb"\n#(\d+)\n", header)
            if m:
                reply += self._read_exact(int(m.group(1)))
            elif header == b"\n##\n":
                break
            else:
                raise ValueError("bad chunk header %r" % header)
        if b"<rpc-error" in reply:
            raise RuntimeError(reply.decode()[:400])
        return reply


def measure(session, body_fn):
    lat = []
    start = time.perf_counter()
    for i in range(COUNT):
        t0 = time.perf_counter()
        for body in body_fn(i):
            session.rpc(body)
        lat.append((time.perf_counter() - t0) * 1000)
        if time.perf_counter() - start > SECONDS:
            break
    total = time.perf_counter() - start
    lat.sort()
    return {"ops": len(lat), "ops_s": round(len(lat) / total, 1), "p50_ms": round(lat[len(lat) // 2], 3),
            "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 3)}


def users_xml(n):
    return "".join("<user><name>u%d</name><password>Str0ng-pass-%d-x</password><extension>%d</extension></user>" % (i, i, 100000 + i)
                   for i in range(n))


def bulk(session, n):
    users = "".join("<user><name>u%d</name><password>Str0ng-pass-%d-x</password><extension>%d</extension></user>" % (i, i, 100000 + i)
                    for i in range(n))
    out = {"users": n, "bytes": len(users)}
    for key, body in (("edit_s", '<edit-config><target><candidate/></target><config><pbx xmlns="%s">%s</pbx></config></edit-config>'
                       % (PBX, users)), ("commit_s", "<commit/>"),
                      ("get_config_s", "<get-config><source><running/></source></get-config>"),
                      ("remove_s", '<edit-config><target><candidate/></target><config><pbx xmlns="%s" xmlns:nc="%s" nc:operation="remove"/>'
                       '</config></edit-config>' % (PBX, NC)), ("remove_commit_s", "<commit/>")):
        t0 = time.perf_counter()
        reply = session.rpc(body)
        out[key] = round(time.perf_counter() - t0, 3)
        if key == "get_config_s":
            out["get_config_bytes"] = len(reply)
    return out


s = Session()
if BULK and sys.argv[5] == "users":
    t0 = time.perf_counter()
    s.rpc('<edit-config><target><candidate/></target><config><pbx xmlns="%s">%s</pbx></config></edit-config>' % (PBX, users_xml(COUNT)))
    s.rpc("<commit/>")
    print(json.dumps({"users": COUNT, "edit_commit_s": round(time.perf_counter() - t0, 3)}))
    s.rpc("<close-session/>")
    sys.exit(0)
if BULK:
    print(json.dumps(bulk(s, COUNT)))
    s.rpc("<close-session/>")
    sys.exit(0)
get = lambda i: ["<get-config><source><running/></source></get-config>"]
edit = lambda i: ['<edit-config><target><candidate/></target><config><system xmlns="%s"><hostname>bench-%d</hostname>'
                  '</system></config></edit-config>' % (SYS, i), "<commit/>"]
for i in range(20):  # warm-up
    s.rpc(get(i)[0])
result = {"get_config": measure(s, get), "edit_commit": measure(s, edit)}
s.rpc("<close-session/>")
print(json.dumps(result))
