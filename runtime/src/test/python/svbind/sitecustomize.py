"""Loaded by Python at start when this folder is on PYTHONPATH: makes SIPVicious' svwar and svcrack
(Debian sipvicious 0.3.3), which ignore their -b option, bind their sockets to $SV_BIND_IP, so a
test can attack the box from an address that is not whitelisted (SipViciousIT)."""
import os
import socket

_ip = os.environ.get("SV_BIND_IP")
if _ip:
    _bind = socket.socket.bind

    def bind(self, address):
        if isinstance(address, tuple) and len(address) == 2 and address[0] in ("", "0.0.0.0"):
            address = (_ip, address[1])
        return _bind(self, address)

    socket.socket.bind = bind
