#!/usr/bin/python3
"""NETCONF interoperability checks against a running besip, with ncclient (Debian python3-ncclient)
and paramiko for what ncclient hides (base:1.0 end-of-message framing, a bad hello).

usage: netconf_interop.py HOST PORT PASSWORD CHECK
Each check prints what it saw and exits 0 when besip behaved, 1 with a reason when not.
"""
import socket
import sys
import time

import paramiko
from ncclient import manager
from ncclient.operations import RPCError
from ncclient.transport.errors import AuthenticationError
from ncclient.xml_ import to_ele
from lxml import etree

SYS = "urn:besip:params:xml:ns:yang:besip-system"
HOST, PORT, PASSWORD, CHECK = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
NAME = sys.argv[5] if len(sys.argv) > 5 else "interop-%d" % (time.time() * 1000 % 100000000)


def connect(password=PASSWORD):
    return manager.connect(host=HOST, port=PORT, username="admin", password=password, hostkey_verify=False,
                           allow_agent=False, look_for_keys=False, timeout=30)


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def hostname(name):
    return '<config><system xmlns="%s"><hostname>%s</hostname></system></config>' % (SYS, name)


def check_candidate_commit():
    with connect() as m:
        if "urn:ietf:params:netconf:base:1.1" not in m.server_capabilities:
            fail("no base:1.1 capability")
        if not any("module=besip-system" in c for c in m.server_capabilities):
            fail("besip-system is not announced as a capability")
        m.edit_config(target="candidate", config=hostname(NAME))
        if NAME in m.get_config(source="running").data_xml:
            fail("running changed before commit")
        m.commit()
        data = m.get_config(source="running", filter=("subtree", '<system xmlns="%s"/>' % SYS)).data_xml
        if NAME not in data:
            fail("commit did not reach running: " + data)
        print("ok: candidate, commit, subtree filter over base:1.1 chunked framing; hostname=" + NAME)


def check_invalid_edit_is_refused():
    with connect() as m:
        try:
            m.edit_config(target="candidate", config=hostname("-nope"))
            fail("an invalid hostname was accepted")
        except RPCError as e:
            if e.tag != "invalid-value" or "does not match pattern" not in e.message:
                fail("unexpected error %s: %s" % (e.tag, e.message))
            print("ok: refused with", e.tag, "at", e.path, ":", e.message)


def check_locks_between_sessions():
    with connect() as a, connect() as b:
        a.lock(target="running")
        try:
            b.lock(target="running")
            fail("a second session got the lock")
        except RPCError as e:
            if e.tag != "lock-denied":
                fail("expected lock-denied, got " + e.tag)
        a.unlock(target="running")
        b.lock(target="running")
        b.unlock(target="running")
        print("ok: lock-denied for the second session, lock free after unlock")


def check_kill_session_frees_the_lock():
    a = connect()
    a.discard_changes()
    a.lock(target="candidate")
    with connect() as b:
        b.kill_session(a.session_id)
        b.lock(target="candidate")
        b.unlock(target="candidate")
    print("ok: kill-session", a.session_id, "freed its lock")


def check_wrong_password_is_refused():
    try:
        connect(password="admin").close_session()
        fail("admin/admin logged in")
    except AuthenticationError:
        print("ok: wrong password refused")


def check_confirmed_commit_rolls_back():
    with connect() as m:
        m.edit_config(target="candidate", config=hostname("stable"))
        m.commit()
        m.edit_config(target="candidate", config=hostname("tentative"))
        m.commit(confirmed=True, timeout="2")
        if "tentative" not in m.get_config(source="running").data_xml:
            fail("the confirmed commit did not apply")
        deadline = time.time() + 20
        while time.time() < deadline:
            if "stable" in m.get_config(source="running").data_xml:
                print("ok: unconfirmed commit rolled back after its timeout")
                return
            time.sleep(0.2)
        fail("no rollback after the confirm timeout")


def commits(m):
    """list-commits as (id, user, note, modules) tuples, newest first"""
    reply = m.dispatch(to_ele('<list-commits xmlns="%s"/>' % SYS))
    out = []
    for c in etree.fromstring(reply.xml.encode()).iter("{%s}commit" % SYS):
        out.append((int(c.findtext("{%s}id" % SYS)), c.findtext("{%s}user" % SYS), c.findtext("{%s}note" % SYS),
                    [x.text for x in c.findall("{%s}module" % SYS)]))
    return out


def check_rollback_history():
    """two commits are listed newest first with user and module; rollback to the first restores its hostname and is itself
    listed; an unknown id is an rpc-error; system/rollback/history bounds the list"""
    with connect() as m:
        m.edit_config(target="candidate", config=hostname(NAME + "-a"))
        m.commit()
        first = commits(m)[0]
        m.edit_config(target="candidate", config=hostname(NAME + "-b"))
        m.commit()
        second = commits(m)[0]
        if second[0] <= first[0] or second[1] != "admin" or "besip-system" not in second[3] or second[2] != "commit":
            fail("the second commit is not listed as the newest, by admin, touching besip-system: %s" % (commits(m),))
        m.dispatch(to_ele('<rollback xmlns="%s"><id>%d</id></rollback>' % (SYS, first[0])))
        data = m.get_config(source="running", filter=("subtree", '<system xmlns="%s"/>' % SYS)).data_xml
        if NAME + "-a" not in data or NAME + "-b" in data:
            fail("rollback did not restore commit %d's hostname: %s" % (first[0], data))
        if commits(m)[0][2] != "rollback to commit %d" % first[0]:
            fail("the rollback is not listed as a commit: %s" % (commits(m)[0],))
        try:
            m.dispatch(to_ele('<rollback xmlns="%s"><id>999999</id></rollback>' % SYS))
            fail("a rollback to an unknown commit was accepted")
        except RPCError as e:
            if "no commit 999999 in the history" not in e.message:
                fail("unexpected error for an unknown commit: %s" % e.message)
        m.edit_config(target="running", config='<config><system xmlns="%s"><rollback><history>3</history></rollback></system></config>' % SYS)
        for i in range(5):
            m.edit_config(target="running", config=hostname("%s-%d" % (NAME, i)))
        kept = commits(m)
        if len(kept) != 3:
            fail("system/rollback/history 3 kept %d commits" % len(kept))
        print("ok: list-commits %s, rollback to %d, an unknown id refused, history bounded to 3" % (second[0], first[0]))


def check_notification_on_change():
    with connect() as listener, connect() as writer:
        listener.create_subscription()
        writer.edit_config(target="running", config=hostname("notified"))
        n = listener.take_notification(block=True, timeout=15)
        if n is None or "netconf-config-change" not in n.notification_xml:
            fail("no netconf-config-change notification")
        print("ok: notification", n.notification_xml[:120])


def raw_channel():
    """A bare SSH channel to the NETCONF subsystem, after the server's hello."""
    t = paramiko.Transport((HOST, PORT))
    t.connect(username="admin", password=PASSWORD)
    ch = t.open_session()
    ch.invoke_subsystem("netconf")
    ch.settimeout(15)
    buf = b""
    while b"]]>]]>" not in buf:
        buf += ch.recv(65536)
    return t, ch


def raw_session():
    """A base:1.0 client on a bare SSH channel, for what ncclient will not send."""
    t, ch = raw_channel()
    ch.sendall(b'<hello xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><capabilities>'
               b'<capability>urn:ietf:params:netconf:base:1.0</capability></capabilities></hello>]]>]]>')
    return t, ch


def raw_reply(ch):
    reply = b""
    while b"]]>]]>" not in reply:
        chunk = ch.recv(65536)
        if not chunk:
            break
        reply += chunk
    return reply


def check_end_of_message_framing():
    """A base:1.0-only client: besip must answer in ]]>]]> framing."""
    t, ch = raw_session()
    ch.sendall(b'<rpc message-id="7" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source>'
               b'<running/></source></get-config></rpc>]]>]]>')
    reply = raw_reply(ch)
    t.close()
    if b'message-id="7"' not in reply or not reply.rstrip().endswith(b"]]>]]>"):
        fail("no end-of-message framed reply: %r" % reply[:200])
    print("ok: base:1.0 client answered with end-of-message framing")


def check_malformed_xml_gets_an_error():
    """broken XML on a raw session: an rpc-error with malformed-message, and the session still answers"""
    t, ch = raw_session()
    try:
        ch.sendall(b'<rpc message-id="9" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><]]>]]>')
        reply = raw_reply(ch)
        if b"<rpc-error>" not in reply or b"<error-tag>malformed-message</error-tag>" not in reply:
            fail("broken XML did not get an rpc-error with malformed-message: %r" % reply[:300])
        ch.sendall(b'<rpc message-id="10" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source>'
                   b'<running/></source></get-config></rpc>]]>]]>')
        again = raw_reply(ch)
        if b'message-id="10"' not in again or b"<data" not in again:
            fail("the session did not answer after the malformed message: %r" % again[:300])
    finally:
        t.close()
    print("ok: malformed XML ->", reply[reply.index(b"<error-message>"):][:90].decode(), "; the session still answers")


def check_hello_in_chunked_framing():
    """ncclient 0.6.13's race (ncclient issue #524): its transport thread reads the server's hello and switches to
    base:1.1 before its own queued hello goes out, so the hello leaves in chunked framing. The bytes are built by
    ncclient itself (its hello and its base:1.1 framing); besip must answer the session instead of waiting for ]]>]]>."""
    from ncclient.devices.default import DefaultDeviceHandler
    from ncclient.transport.session import HelloHandler
    handler = DefaultDeviceHandler()
    hello = HelloHandler.build(handler.get_capabilities(), handler).encode()
    t, ch = raw_channel()
    try:
        ch.sendall(b"\n#%d\n%s\n##\n" % (len(hello), hello))
        rpc = (b'<rpc message-id="11" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source>'
               b'<running/></source></get-config></rpc>')
        ch.sendall(b"\n#%d\n%s\n##\n" % (len(rpc), rpc))
        reply = b""
        while not reply.endswith(b"\n##\n"):
            chunk = ch.recv(65536)
            if not chunk:
                fail("the session closed after a chunk-framed hello: %r" % reply[:200])
            reply += chunk
    except socket.timeout:
        fail("no answer in 15 s to a session whose hello came chunk-framed")
    finally:
        t.close()
    if not reply.startswith(b"\n#") or b'message-id="11"' not in reply or b"<data" not in reply:
        fail("no chunk-framed reply: %r" % reply[:200])
    print("ok: a hello in chunked framing (ncclient #524) is accepted; the session answers in base:1.1 framing")


def check_ncclient_sessions_never_stall():
    """the same race with ncclient itself: 100 sessions, each one get-config, with the interpreter switching threads as
    often as it can (as on a loaded box), so ncclient's transport thread sometimes frames its hello in chunks. Against a
    server that waits for ]]>]]> about one session in sixteen stalls (19 of 300 seen); here none may."""
    sys.setswitchinterval(1e-6)
    stalled = 0
    for i in range(100):
        m = connect()
        m.timeout = 5
        try:
            m.get_config(source="running")
        except Exception as e:
            stalled += 1
            print("stalled:", type(e).__name__, e)
        finally:
            try:
                m.close_session()
            except Exception:
                m._session.close()
    sys.setswitchinterval(0.005)
    if stalled:
        fail("%d of 100 ncclient sessions got no reply" % stalled)
    print("ok: 100 ncclient sessions, none stalled")


def check_monitoring_and_get_schema():
    with connect() as m:
        text = m.get_schema("besip-system").data
        if "module besip-system" not in text:
            fail("get-schema did not return the module text")
        state = m.get(filter=("subtree", '<netconf-state xmlns="urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring">'
                                         '<sessions/><schemas/></netconf-state>')).data_xml
        if "<session-id>%s</session-id>" % m.session_id not in state or "besip-system" not in state:
            fail("netconf-state lacks this session or the schemas: " + state[:300])
        lib = m.get(filter=("subtree", '<modules-state xmlns="urn:ietf:params:xml:ns:yang:ietf-yang-library"/>')).data_xml
        if "<name>ietf-interfaces</name>" not in lib:
            fail("yang-library lacks ietf-interfaces")
        ifs = m.get(filter=("subtree", '<interfaces-state xmlns="urn:ietf:params:xml:ns:yang:ietf-interfaces"/>')).data_xml
        if "<name>lo</name>" not in ifs:
            fail("interfaces-state lacks lo: " + ifs[:300])
        print("ok: get-schema, netconf-state, modules-state, interfaces-state")


def check_install_module_rpc():
    """args: module name, file: URL of the jar in the box's files folder, its sha256"""
    name, url, sha = sys.argv[5], sys.argv[6], sys.argv[7]
    rpc = '<install-module xmlns="%s"><name>%s</name><url>%s</url><sha256>%s</sha256></install-module>'
    with connect() as m:
        try:
            m.dispatch(to_ele(rpc % (SYS, name, url, "0" * 64)))
            fail("a wrong sha256 was accepted")
        except RPCError as e:
            if "SHA-256" not in e.message:
                fail("unexpected error: " + e.message)
        reply = m.dispatch(to_ele(rpc % (SYS, name, url, sha)))
        if "<version>" not in reply.xml and "version>" not in reply.xml:
            fail("no version in the reply: " + reply.xml)
        print("ok: install-module refused a wrong digest, installed with the right one:", reply.xml[-160:])


def check_disable_module_by_config():
    """args: module name"""
    name = sys.argv[5]
    cfg = ('<config><system xmlns="%s"><modules><module><name>%s</name><enabled>false</enabled></module>'
           '</modules></system></config>') % (SYS, name)
    with connect() as m:
        m.edit_config(target="candidate", config=cfg)
        m.commit()
        bad = ('<config><system xmlns="%s"><modules><module><name>nosuch</name></module></modules></system></config>') % SYS
        m.edit_config(target="candidate", config=bad)
        try:
            m.commit()
            fail("enabling a module that does not exist was accepted")
        except RPCError as e:
            if "no module 'nosuch'" not in e.message:
                fail("unexpected error: " + e.message)
        m.discard_changes()
        print("ok: module", name, "disabled through besip-system; an unknown module refused by prepare")


def check_configure_fixture():
    """args: the fixture module's namespace, a greeting, and ok|refused"""
    ns, greeting, expect = sys.argv[5], sys.argv[6], sys.argv[7]
    cfg = '<config><settings xmlns="%s"><greeting>%s</greeting></settings></config>' % (ns, greeting)
    with connect() as m:
        deadline = time.time() + 20
        while not any(ns in c for c in m.server_capabilities):
            if time.time() > deadline:
                fail("the module's YANG is not announced")
            m.close_session()
            time.sleep(0.3)
            m = connect()
        try:
            m.edit_config(target="running", config=cfg)
            if expect != "ok":
                fail("the module's refusal was not reported")
            print("ok: configured", greeting)
        except RPCError as e:
            if expect == "ok" or "refuses" not in e.message:
                fail("unexpected error: " + e.message)
            print("ok: refused:", e.message)


def running_must_hold(m, text):
    data = m.get_config(source="running").data_xml
    if text not in data:
        fail("running lacks " + text + ": " + data)


def check_running_holds():
    """args: text that running must hold"""
    with connect() as m:
        running_must_hold(m, sys.argv[5])
        m.edit_config(target="candidate", config=hostname("holds-%d" % (time.time() % 100000)))
        m.commit()
        print("ok: running holds", sys.argv[5], "and still commits")


def check_running_has():
    """args: text that running must hold (read only)"""
    with connect() as m:
        running_must_hold(m, sys.argv[5])
        print("ok: running holds", sys.argv[5])


def check_running_lacks():
    """args: text that running must not hold"""
    with connect() as m:
        data = m.get_config(source="running").data_xml
        if sys.argv[5] in data:
            fail("running holds " + sys.argv[5])
        print("ok: running lacks", sys.argv[5])


def check_hold_lock():
    """args: datastore; locks it, says so, and holds it until stdin closes (at most 120 s)"""
    import select
    with connect() as m:
        m.lock(target=sys.argv[5])
        print("locked", sys.argv[5], "as session", m.session_id, flush=True)
        select.select([sys.stdin], [], [], 120)
        m.unlock(target=sys.argv[5])
        print("ok: unlocked")


def check_xxe_is_refused():
    t, ch = raw_session()
    ch.sendall(b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
               b'<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><running/>'
               b'</source><filter type="subtree"><system xmlns="urn:besip:params:xml:ns:yang:besip-system">&x;</system>'
               b'</filter></get-config></rpc>]]>]]>')
    reply = raw_reply(ch)
    t.close()
    if b"malformed-message" not in reply or b"root:" in reply:
        fail("a DTD with an external entity was not refused: %r" % reply[:300])
    print("ok: DTD/external entity refused with malformed-message")


def check_wrong_namespace_is_an_unknown_element():
    with connect() as m:
        try:
            m.edit_config(target="candidate", config='<config><system xmlns="urn:nowhere"><x>1</x></system></config>')
            fail("a wrong namespace was accepted")
        except RPCError as e:
            if e.tag != "unknown-element":
                fail("expected unknown-element, got " + e.tag)
            print("ok: wrong namespace ->", e.tag, e.message)


def check_oversize_message_is_refused_too_big():
    """the box runs with besip.netconf.max-message-kib=64: a 200 KiB message is answered too-big and the session goes on"""
    t, ch = raw_session()
    ch.sendall(b'<rpc message-id="8" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source><running/></source>'
               b'<filter>' + b"x" * (200 * 1024) + b"</filter></get-config></rpc>]]>]]>")
    reply = raw_reply(ch)
    if b"<error-tag>too-big</error-tag>" not in reply or b"more than this box takes" not in reply:
        fail("an oversize message was not answered too-big: %r" % reply[:400])
    ch.sendall(b'<rpc message-id="9" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><get-config><source>'
               b'<running/></source></get-config></rpc>]]>]]>')
    after = raw_reply(ch)
    t.close()
    if b'message-id="9"' not in after or b"<data" not in after:
        fail("the session did not go on after too-big: %r" % after[:300])
    print("ok: an oversize message was answered too-big and the same session went on")


def check_stalled_half_frame_releases_its_lock():
    """the box runs with besip.netconf.idle-timeout-s=3"""
    t, ch = raw_session()
    ch.sendall(b'<rpc message-id="1" xmlns="urn:ietf:params:xml:ns:netconf:base:1.0"><lock><target><running/>'
               b'</target></lock></rpc>]]>]]>')
    if b"<ok/>" not in raw_reply(ch):
        fail("the raw session did not get the lock")
    ch.sendall(b'<rpc message-id="2" xmlns="urn:ietf:p')  # half a message, then silence
    with connect() as m:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                m.lock(target="running")
                m.unlock(target="running")
                print("ok: the stalled session was closed and its lock released")
                t.close()
                return
            except RPCError as e:
                if e.tag != "lock-denied":
                    fail("unexpected " + e.tag)
                time.sleep(0.5)
    fail("the lock of a stalled session was never released")


def check_export():
    """args: file to write the running configuration to"""
    with connect() as m:
        m.edit_config(target="running", config=hostname("exported-box"))
        data = m.get_config(source="running").data_ele
        inner = "".join(etree.tostring(c).decode() for c in data)
        open(sys.argv[5], "w").write(inner)
        print("ok: exported", len(inner), "bytes")


def check_import():
    """args: file: URL, in the box's files folder, of an exported configuration"""
    with connect() as m:
        before = m.get_config(source="running").data_xml
        if "exported-box" in before:
            fail("this box already had the configuration")
        m.copy_config(source=sys.argv[5], target="running")
        after = m.get_config(source="running").data_xml
        if "exported-box" not in after:
            fail("import did not restore the configuration: " + after)
        print("ok: imported onto a fresh box")


def pbkdf2_hash(password):
    import base64, hashlib, os
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 20000, 32)
    return "pbkdf2-sha256:20000:%s:%s" % (base64.b64encode(salt).decode(), base64.b64encode(digest).decode())


def check_configured_user_and_key():
    """args: public key algorithm, its Base64 blob, the private key file, a password for user 'operator'"""
    algorithm, blob, private_key, op_password = sys.argv[5], sys.argv[6], sys.argv[7], sys.argv[8]
    users = ('<config><system xmlns="%s"><authentication>'
             '<user><name>admin</name><authorized-key><name>laptop</name><algorithm>%s</algorithm>'
             '<key-data>%s</key-data></authorized-key></user>'
             '<user><name>operator</name><password-hash>%s</password-hash></user>'
             '</authentication></system></config>') % (SYS, algorithm, blob, pbkdf2_hash(op_password))
    with connect() as m:
        bad = users.replace(blob, "AAAAC3NzaC1lZDI1NTE5AAAAIBAD")
        try:
            m.edit_config(target="running", config=bad)
            fail("a broken key was accepted")
        except RPCError as e:
            if "key-data" not in (e.path or "") or "not a valid" not in e.message:
                fail("unexpected error: %s %s" % (e.path, e.message))
        m.edit_config(target="running", config=users)
    with manager.connect(host=HOST, port=PORT, username="admin", key_filename=private_key, hostkey_verify=False,
                         allow_agent=False, look_for_keys=False, timeout=30) as m:
        m.get_config(source="running")
    with manager.connect(host=HOST, port=PORT, username="operator", password=op_password, hostkey_verify=False,
                         allow_agent=False, look_for_keys=False, timeout=30) as m:
        m.get_config(source="running")
    try:
        manager.connect(host=HOST, port=PORT, username="operator", password="wrong", hostkey_verify=False,
                        allow_agent=False, look_for_keys=False, timeout=30).close_session()
        fail("a wrong password for operator logged in")
    except AuthenticationError:
        pass
    print("ok: admin logs in with the configured key, operator with the configured password; a broken key refused")


def check_besip_event_notification():
    """args: an installed, enabled module to disable through besip-system"""
    name = sys.argv[5]
    cfg = ('<config><system xmlns="%s"><modules><module><name>%s</name><enabled>false</enabled></module>'
           '</modules></system></config>') % (SYS, name)
    with connect() as listener, connect() as writer:
        listener.create_subscription()
        writer.edit_config(target="running", config=cfg)
        deadline = time.time() + 20
        while time.time() < deadline:
            n = listener.take_notification(block=True, timeout=5)
            if n is not None and "besip/core/module/DISABLED" in n.notification_xml and name in n.notification_xml:
                print("ok: besip event as notification:", n.notification_xml[:200])
                return
        fail("no besip-system:event notification for the module being disabled")


def connect_when_announced(module):
    """a session once the box announces the YANG module (its bundle may still be starting)"""
    deadline = time.time() + 20
    m = connect()
    while not any(module in c for c in m.server_capabilities):
        m.close_session()
        if time.time() > deadline:
            fail(module + " is not announced")
        time.sleep(0.3)
        m = connect()
    return m


def check_configure_monitoring():
    """args: enabled (true|false), interface, Zabbix port, optionally the idle timeout in seconds (1 unless given)"""
    enabled, interface, port = sys.argv[5], sys.argv[6], sys.argv[7]
    idle = sys.argv[8] if len(sys.argv) > 8 else "1"
    cfg = ('<config><monitoring xmlns="urn:besip:params:xml:ns:yang:besip-monitoring"><enabled>%s</enabled>'
           '<interface>%s</interface><idle-timeout>%s</idle-timeout><zabbix><port>%s</port></zabbix></monitoring></config>'
           % (enabled, interface, idle, port))
    with connect_when_announced("besip-monitoring") as m:
        m.edit_config(target="running", config=cfg)
        print("ok: monitoring enabled=%s on %s" % (enabled, interface))


def storage(url, user, password):
    return ('<config><system xmlns="%s"><storage><backend>postgresql</backend><postgresql><url>%s</url><user>%s</user>'
            '<password>%s</password><pool-size>2</pool-size></postgresql></storage></system></config>' % (SYS, url, user, password))


def check_configure_storage():
    """args: PostgreSQL URL, user, password: running's storage becomes that database"""
    with connect() as m:
        m.edit_config(target="running", config=storage(sys.argv[5], sys.argv[6], sys.argv[7]))
        print("ok: storage is PostgreSQL at %s" % sys.argv[5])


def check_storage_refused():
    """args: PostgreSQL URL, user, password, a text the rpc-error must hold: the commit is refused, running keeps SQLite"""
    with connect() as m:
        try:
            m.edit_config(target="running", config=storage(sys.argv[5], sys.argv[6], sys.argv[7]))
            fail("storage at %s as %s was accepted" % (sys.argv[5], sys.argv[6]))
        except RPCError as e:
            if sys.argv[8] not in (e.message or ""):
                fail("the rpc-error does not say %r: %s" % (sys.argv[8], e.message))
            refusal = e.message
        if "postgresql" in m.get_config(source="running").data_xml:
            fail("a refused storage reached running")
        print("ok: refused: %s" % refusal)


def doors(netconf, http):
    return ('<config><system xmlns="%s"><netconf><address>%s</address></netconf><http><address>%s</address></http>'
            '</system></config>' % (SYS, netconf, http))


def check_move_doors():
    """args: the NETCONF door's address, the Web Console's: running says so (the doors move a moment after the reply)"""
    with connect() as m:
        m.edit_config(target="running", config=doors(sys.argv[5], sys.argv[6]))
        print("ok: NETCONF to %s, Web Console to %s" % (sys.argv[5], sys.argv[6]))


def check_door_address_refused():
    """args: an address: refused at validation with an rpc-error that says no interface has it"""
    with connect() as m:
        try:
            m.edit_config(target="running", config=doors(sys.argv[5], "127.0.0.1"))
            fail("the address %s was accepted" % sys.argv[5])
        except RPCError as e:
            if "no interface of this box has the address " + sys.argv[5] not in (e.message or ""):
                fail("the rpc-error does not say why: %s" % e.message)
            print("ok: refused: %s" % e.message)


def check_configure_pbx_users():
    """args: user count, password; users user0..userN-1 with extensions 100.., the box's default challenge (MD5)"""
    count, password = int(sys.argv[5]), sys.argv[6]
    users = "".join("<user><name>user%d</name><password>%s</password><extension>%d</extension></user>" % (i, password, 100 + i)
                    for i in range(count))
    cfg = '<config><pbx xmlns="urn:besip:params:xml:ns:yang:besip-pbx">%s</pbx></config>' % users
    with connect_when_announced("besip-pbx") as m:
        m.edit_config(target="running", config=cfg)
        print("ok: %d pbx users configured" % count)


def check_merge_pbx():
    """args: the inside of a besip-pbx <pbx> element, merged into running; a refusal prints its message and exits 3"""
    cfg = '<config><pbx xmlns="urn:besip:params:xml:ns:yang:besip-pbx">%s</pbx></config>' % sys.argv[5]
    with connect_when_announced("besip-pbx") as m:
        try:
            m.edit_config(target="running", config=cfg)
        except RPCError as e:
            print("refused: %s" % e.message)
            sys.exit(3)
        print("ok: merged into running")


def check_configure_pbx_mode():
    """args: mode (proxy|b2bua), the media relay's first and last port, optionally its policy (never|nat-only|always)"""
    mode, low, high = sys.argv[5], sys.argv[6], sys.argv[7]
    relay = ('<relay>%s</relay>' % sys.argv[8]) if len(sys.argv) > 8 else ''
    cfg = ('<config><pbx xmlns="urn:besip:params:xml:ns:yang:besip-pbx"><mode>%s</mode>'
           '<media>%s<port-min>%s</port-min><port-max>%s</port-max></media></pbx></config>' % (mode, relay, low, high))
    with connect_when_announced("besip-pbx") as m:
        m.edit_config(target="running", config=cfg)
        print("ok: pbx mode %s, relay ports %s-%s" % (mode, low, high))


def check_configure_pbx_record():
    """args: a user whose calls are recorded"""
    user = sys.argv[5]
    cfg = ('<config><pbx xmlns="urn:besip:params:xml:ns:yang:besip-pbx"><user><name>%s</name><record>true</record></user>'
           '<recording><max-age>7</max-age></recording></pbx></config>' % user)
    with connect_when_announced("besip-pbx") as m:
        m.edit_config(target="running", config=cfg)
        print("ok: calls of %s recorded" % user)


def check_pbx_weak_password():
    """a weak user password is refused at validation with an rpc-error naming the user and the rule; nothing is applied"""
    ns = "urn:besip:params:xml:ns:yang:besip-pbx"
    with connect_when_announced("besip-pbx") as m:
        for password, rule in (("1234", "is shorter than 10 characters"), ("4829103756", "is only digits"),
                               ("qwertyuiop", "is a common password"), ("frank", "is shorter than 10 characters")):
            cfg = ('<config><pbx xmlns="%s"><user><name>frank</name><password>%s</password><extension>4711</extension></user>'
                   '</pbx></config>' % (ns, password))
            try:
                m.edit_config(target="running", config=cfg)
                fail("the weak password %r was accepted" % password)
            except RPCError as e:
                if "user frank" not in e.message or rule not in e.message:
                    fail("the rpc-error for %r does not name the user and the rule: %s" % (password, e.message))
                if "user[pbx:name='frank']/pbx:password" not in (e.path or ""):
                    fail("the rpc-error does not point at the password: %r" % e.path)
                last = e.message
        running = m.get_config(source="running").data_xml
        if "frank" in running:
            fail("a refused user reached running")
        print("ok: weak passwords refused:", last)


def check_pbx_media_refused():
    """a media port range below 1024 or too small for one call, an SHA-256 challenge for a user with only an ha1, a DNS server
    that is no address: each refused with an rpc-error at its path, nothing applied"""
    ns = "urn:besip:params:xml:ns:yang:besip-pbx"
    cases = (('<media><port-min>80</port-min><port-max>2000</port-max></media>', "media port range", "pbx:media"),
             ('<media><port-min>40000</port-min><port-max>40002</port-max></media>', "at least 4 ports", "pbx:media"),
             ('<user><name>hana</name><ha1>0123456789abcdef0123456789abcdef</ha1><algorithm>SHA-256</algorithm></user>',
              "an ha1 answers MD5 only", "pbx:algorithm"),
             ('<dns><server>999.1.2.3</server></dns>', "not an address", "pbx:dns"))
    with connect_when_announced("besip-pbx") as m:
        for body, words, path in cases:
            try:
                m.edit_config(target="running", config='<config><pbx xmlns="%s">%s</pbx></config>' % (ns, body))
                fail("accepted: " + body)
            except RPCError as e:
                if words not in e.message or path not in (e.path or ""):
                    fail("the rpc-error for %s says %r at %r" % (body, e.message, e.path))
        running = m.get_config(source="running").data_xml
        if "40000" in running or "hana" in running or "999.1.2.3" in running:
            fail("a refused setting reached running")
        print("ok: bad media range, ha1 with SHA-256, bad DNS server refused")


def check_pbx_dial_plan():
    """a route to a trunk that does not exist is refused by validation; a real one is accepted"""
    ns = "urn:besip:params:xml:ns:yang:besip-pbx"
    bad = ('<config><pbx xmlns="%s"><dial-plan><route><prefix>9</prefix><trunk>nowhere</trunk></route></dial-plan></pbx></config>'
           % ns)
    good = ('<config><pbx xmlns="%s"><trunk><name>provider</name><host>127.0.0.7</host><port>5099</port></trunk>'
            '<dial-plan><route><prefix>9</prefix><trunk>provider</trunk><strip>1</strip><prepend>00</prepend></route></dial-plan>'
            '</pbx></config>' % ns)
    with connect() as m:
        try:
            m.edit_config(target="running", config=bad)
            fail("a route to an unknown trunk was accepted")
        except RPCError as e:
            if "nowhere" not in e.message and "leafref" not in e.message.lower() and "instance" not in e.message.lower():
                fail("unexpected error: " + e.message)
            print("refused as expected:", e.message)
        m.edit_config(target="running", config=good)
        running = m.get_config(source="running").data_xml
        if "<prepend>00</prepend>" not in running:
            fail("the dial plan is not in running: " + running)
        print("ok: dial plan validated and applied")


def check_pbx_top_up():
    """args: user, amount, expected credit; an unknown user and a bad amount are refused"""
    user, amount, expected = sys.argv[5], sys.argv[6], sys.argv[7]
    ns = "urn:besip:params:xml:ns:yang:besip-pbx"
    rpc = '<top-up xmlns="%s"><user>%s</user><amount>%s</amount></top-up>'
    with connect() as m:
        for bad_user, bad_amount, words in (("nobody", "1", "no user nobody"), (user, "lots", "amount must be")):
            try:
                m.dispatch(to_ele(rpc % (ns, bad_user, bad_amount)))
                fail("top-up of %s by %s was accepted" % (bad_user, bad_amount))
            except RPCError as e:
                if words not in e.message:
                    fail("unexpected error: " + e.message)
        reply = m.dispatch(to_ele(rpc % (ns, user, amount)))
        from lxml import etree
        el = etree.fromstring(reply.xml.encode()).find(".//{%s}credit" % ns)
        if el is None or el.text != expected:
            fail("credit %s, expected %s: %s" % (None if el is None else el.text, expected, reply.xml))
        print("ok: top-up to %s" % expected)


def check_pbx_trunk_registration():
    """args: provider port, user, password; a trunk whose registration account is that user (on the box itself)"""
    port, user, password = sys.argv[5], sys.argv[6], sys.argv[7]
    ns = "urn:besip:params:xml:ns:yang:besip-pbx"
    cfg = ('<config><pbx xmlns="%s"><trunk><name>self</name><host>127.0.0.1</host><port>%s</port><registration>'
           '<username>%s</username><password>%s</password></registration></trunk></pbx></config>' % (ns, port, user, password))
    with connect() as m:
        m.edit_config(target="running", config=cfg)
        print("ok: trunk registration configured")


def check_pbx_provider_trunk():
    """args: provider port, account user, password, DID, the user the DID rings; calls to 00... go out through it"""
    port, user, password, did, rings = sys.argv[5:10]
    ns = "urn:besip:params:xml:ns:yang:besip-pbx"
    cfg = ('<config><pbx xmlns="%s"><trunk><name>provider</name><host>127.0.0.1</host><port>%s</port><registration>'
           '<username>%s</username><password>%s</password><domain>provider.test</domain></registration></trunk>'
           '<dial-plan><route><prefix>00</prefix><trunk>provider</trunk></route></dial-plan>'
           '<inbound><did><number>%s</number><user>%s</user></did></inbound></pbx></config>' % (ns, port, user, password, did, rings))
    with connect_when_announced("besip-pbx") as m:
        m.edit_config(target="running", config=cfg)
        print("ok: trunk 'provider' with DID %s -> %s" % (did, rings))


def check_pbx_provider_trunk_by_name():
    """args: DNS server (address:port), provider name, account user, password, DID, the user the DID rings, caller-id, user0's
    display name; the trunk's host is the name (SRV), calls to 00... go out through it presenting the caller-id"""
    dns, name, user, password, did, rings, caller_id, display = sys.argv[5:13]
    ns = "urn:besip:params:xml:ns:yang:besip-pbx"
    cfg = ('<config><pbx xmlns="%s"><dns><server>%s</server></dns><trunk><name>provider</name><host>%s</host>'
           '<caller-id>%s</caller-id><registration><username>%s</username><password>%s</password></registration></trunk>'
           '<dial-plan><route><prefix>00</prefix><trunk>provider</trunk></route></dial-plan>'
           '<inbound><did><number>%s</number><user>%s</user></did></inbound>'
           '<user><name>user0</name><display-name>%s</display-name></user></pbx></config>'
           % (ns, dns, name, caller_id, user, password, did, rings, display))
    with connect_when_announced("besip-pbx") as m:
        m.edit_config(target="running", config=cfg)
        print("ok: trunk 'provider' at %s (DNS %s), caller-id %s, DID %s -> %s" % (name, dns, caller_id, did, rings))


def cdr_csv(reply, ns):
    from lxml import etree
    el = etree.fromstring(reply.xml.encode()).find(".//{%s}csv" % ns)
    return (el.text or "").strip() if el is not None else ""


def check_export_cdrs():
    """args: expected number of CDRs, text every CDR row must contain; prints the CSV"""
    expected, must = int(sys.argv[5]), sys.argv[6]
    ns = "urn:besip:params:xml:ns:yang:besip-pbx"
    with connect() as m:
        try:
            m.dispatch(to_ele('<export-cdrs xmlns="%s"><from>yesterday</from></export-cdrs>' % ns))
            fail("a bad date-time was accepted")
        except RPCError as e:
            if "RFC 3339" not in e.message:
                fail("unexpected error: " + e.message)
        reply = m.dispatch(to_ele('<export-cdrs xmlns="%s"><from>2000-01-01T00:00:00Z</from></export-cdrs>' % ns))
        text = cdr_csv(reply, ns)
        rows = [r for r in text.splitlines() if r]
        if not rows or not rows[0].startswith("call_id,from_uri,to_uri"):
            fail("no CSV header in the reply: " + reply.xml)
        if len(rows) - 1 != expected:
            fail("%d CDRs, expected %d: %s" % (len(rows) - 1, expected, text))
        for r in rows[1:]:
            if must not in r:
                fail("a CDR without %r: %s" % (must, r))
        empty = m.dispatch(to_ele('<export-cdrs xmlns="%s"><to>2000-01-01T00:00:00Z</to></export-cdrs>' % ns))
        if len([r for r in cdr_csv(empty, ns).splitlines() if r]) != 1:
            fail("CDRs before 2000: " + empty.xml)
        print("ok: export-cdrs gave %d CDRs and refused a bad date-time" % expected)


SEC = "urn:besip:params:xml:ns:yang:besip-security"


def security_blocks(m):
    from lxml import etree
    reply = m.dispatch(to_ele('<list-blocks xmlns="%s"/>' % SEC))
    out = {}
    for b in etree.fromstring(reply.xml.encode()).iter("{%s}block" % SEC):
        left = b.find("{%s}seconds-left" % SEC)
        out[b.find("{%s}address" % SEC).text] = (None if left is None else int(left.text), b.find("{%s}reason" % SEC).text)
    return out


def check_security_blocks():
    """args: address, min and max seconds left ('-' for absent: not blocked)"""
    addr, lo, hi = sys.argv[5], sys.argv[6], sys.argv[7]
    with connect_when_announced("besip-security") as m:
        blocks = security_blocks(m)
        if lo == "-":
            if addr in blocks:
                fail("%s is still blocked: %s" % (addr, blocks))
            print("ok: %s not blocked" % addr)
            return
        if addr not in blocks:
            fail("%s is not blocked: %s" % (addr, blocks))
        left, reason = blocks[addr]
        if left is None or not int(lo) <= left <= int(hi):
            fail("%s has %s s left, expected %s..%s" % (addr, left, lo, hi))
        print("ok: %s blocked, %d s left (%s)" % (addr, left, reason))


def check_security_rule():
    """args: sid, rule text; the same rule with an unknown option is refused first, with its line and column"""
    from xml.sax.saxutils import escape
    sid, text = sys.argv[5], sys.argv[6]
    cfg = '<config><security xmlns="%s"><rule><sid>%s</sid><text>%s</text></rule></security></config>'
    with connect_when_announced("besip-security") as m:
        try:
            m.edit_config(target="running", config=cfg % (SEC, sid, escape(text.replace("sid:", "frobnicate; sid:"))))
            fail("a rule with an unknown option was accepted")
        except RPCError as e:
            if "rule %s:1:" % sid not in e.message or "unknown or unsupported option frobnicate" not in e.message:
                fail("unexpected error: " + e.message)
            print("refused as expected:", e.message)
        m.edit_config(target="running", config=cfg % (SEC, sid, escape(text)))
        print("ok: rule %s configured" % sid)


def check_security_unblock():
    """args: a blocked address; the RPCs' clear errors for what they refuse"""
    addr = sys.argv[5]
    with connect_when_announced("besip-security") as m:
        for rpc, words in (('<block xmlns="%s"><address>127.0.0.1</address></block>', "whitelisted"),
                           ('<block xmlns="%s"><address>box.example.com</address></block>', "not an IP address"),
                           ('<unblock xmlns="%s"><address>198.51.100.77</address></unblock>', "is not blocked")):
            try:
                m.dispatch(to_ele(rpc % SEC))
                fail("accepted: " + rpc)
            except RPCError as e:
                if words not in e.message:
                    fail("unexpected error: " + e.message)
        m.dispatch(to_ele('<unblock xmlns="%s"><address>%s</address></unblock>' % (SEC, addr)))
        if addr in security_blocks(m):
            fail(addr + " still blocked after unblock")
        print("ok: %s unblocked; whitelisted, non-address and not-blocked refused" % addr)


def check_security_notification():
    """args: an address to block by hand; the BLOCKED and UNBLOCKED events arrive as notifications"""
    addr = sys.argv[5]
    with connect_when_announced("besip-security") as listener, connect() as writer:
        listener.create_subscription()
        writer.dispatch(to_ele('<block xmlns="%s"><address>%s</address><duration>60</duration><reason>by hand</reason></block>'
                               % (SEC, addr)))
        writer.dispatch(to_ele('<unblock xmlns="%s"><address>%s</address></unblock>' % (SEC, addr)))
        seen = []
        deadline = time.time() + 20
        while time.time() < deadline and len(seen) < 2:
            n = listener.take_notification(block=True, timeout=5)
            if n is not None and addr in n.notification_xml:
                for topic in ("besip/security/BLOCKED", "besip/security/UNBLOCKED"):
                    if topic in n.notification_xml and topic not in seen:
                        seen.append(topic)
        if seen != ["besip/security/BLOCKED", "besip/security/UNBLOCKED"]:
            fail("notifications seen: %s" % seen)
        print("ok: BLOCKED and UNBLOCKED of %s as notifications" % addr)


def check_security_email():
    """args: SMTP port on 127.0.0.1, recipient; configures the report (no TLS: a test server) and sends it now"""
    port, to = sys.argv[5], sys.argv[6]
    cfg = ('<config><security xmlns="%s"><email><enabled>true</enabled><to>%s</to><from>besip@box.example</from>'
           '<server>127.0.0.1</server><port>%s</port><security>none</security></email></security></config>' % (SEC, to, port))
    with connect_when_announced("besip-security") as m:
        try:
            m.edit_config(target="running", config='<config><security xmlns="%s"><email><enabled>true</enabled></email></security></config>'
                          % SEC)
            fail("an enabled report without server and recipient was accepted")
        except RPCError as e:
            if "needs a server" not in e.message:
                fail("unexpected error: " + e.message)
        m.edit_config(target="running", config=cfg)
        reply = m.dispatch(to_ele('<send-report xmlns="%s"/>' % SEC))
        from lxml import etree
        n = etree.fromstring(reply.xml.encode()).find(".//{%s}alerts" % SEC)
        if n is None or int(n.text) < 1:
            fail("the report held no alerts: " + reply.xml)
        print("ok: report with %s alerts sent" % n.text)


def check_netconf_soft_faults():
    """args: source address, attempts: failed NETCONF logins from that address (over a socket bound to it)"""
    src, n = sys.argv[5], int(sys.argv[6])
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.connect((HOST, PORT))
        t = paramiko.Transport(s)
        try:
            t.connect(username="admin", password="wrong-%d" % i)
            fail("a login with a wrong password succeeded")
        except paramiko.AuthenticationException:
            pass
        finally:
            t.close()
    print("ok: %d failed logins from %s" % (n, src))


def check_security_reload():
    """args: rules expected in force, a text one of the problems must contain"""
    expected, problem = int(sys.argv[5]), sys.argv[6]
    with connect_when_announced("besip-security") as m:
        reply = m.dispatch(to_ele('<reload-rules xmlns="%s"/>' % SEC))
        from lxml import etree
        root = etree.fromstring(reply.xml.encode())
        rules = int(root.find(".//{%s}rules" % SEC).text)
        problems = [p.text for p in root.iter("{%s}problem" % SEC)]
        if rules != expected or not any(problem in p for p in problems):
            fail("rules %d (expected %d), problems %s" % (rules, expected, problems))
        print("ok: %d rules; problems: %s" % (rules, problems))


CHECKS = {name[len("check_"):]: f for name, f in globals().items() if name.startswith("check_")}
if CHECK not in CHECKS:
    fail("unknown check " + CHECK + "; there are " + ", ".join(sorted(CHECKS)))
CHECKS[CHECK]()
