#!/usr/bin/env python3
"""The capture of bench/rtp.sh: STREAMS concurrent G.711 u-law streams (20 ms, 160-byte payloads)
of PACKETS packets each, in a little-endian microsecond pcap of Ethernet frames, with impairments
the script knows and writes beside it as JSON (per SSRC: packets in the file, packets never sent,
duplicates, swapped pairs):
  loss      stream i drops each packet with probability (0, 0.5, 1, 3, 5 %)[i % 5], never the first
            or the last, and in bursts of 1-3 on streams where i % 3 == 1
  jitter    arrival = nominal + a delay drawn uniformly from [0, (0, 2, 6, 12) ms [i % 4]]
  duplicate streams where i % 7 == 0 repeat every 997th packet once
  reorder   streams where i % 11 == 0 swap every 499th packet with the next
Deterministic (seeded), so that two runs write the same file.

  rtp_gen.py OUT.pcap STREAMS PACKETS
"""
import json
import random
import struct
import sys


def main():
    out, streams, packets = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if not (1 <= streams <= 4000 and 2 <= packets <= 100_000):
        sys.exit("rtp_gen.py: 1..4000 streams of 2..100000 packets")
    rnd = random.Random(1550)
    t0 = 1_700_000_000.0
    known = {}
    events = []  # (arrival, stream, seq) for every packet that goes in the file
    for i in range(streams):
        ssrc = 0x20000000 + i
        loss = (0, 0.005, 0.01, 0.03, 0.05)[i % 5]
        bursty = i % 3 == 1
        spread = (0, 0.002, 0.006, 0.012)[i % 4]
        start = t0 + rnd.random() * 0.02
        dropped = duplicated = swapped = 0
        seqs = []
        k = 1
        while k < packets - 1:
            if rnd.random() < loss:
                n = rnd.randint(1, 3) if bursty else 1
                n = min(n, packets - 1 - k)
                dropped += n
                k += n
            else:
                seqs.append(k)
                k += 1
        seqs = [0] + seqs + [packets - 1]
        if i % 11 == 0:
            for j in range(499, len(seqs) - 2, 499):
                seqs[j], seqs[j + 1] = seqs[j + 1], seqs[j]
                swapped += 1
        order = []
        for j, s in enumerate(seqs):
            order.append(s)
            if i % 7 == 0 and j % 997 == 996:
                order.append(s)
                duplicated += 1
        last = 0.0
        # the packets arrive in the order written, each in the next sending slot (a duplicate in
        # its original's): a swapped pair takes each other's slots
        slots = sorted(order)
        for pos, s in enumerate(order):
            nominal = start + slots[pos] * 0.02
            arrival = max(nominal + rnd.random() * spread, last + 1e-6)
            last = arrival
            events.append((arrival, i, s))
        known["0x%08X" % ssrc] = {"packets": len(order), "lost": dropped, "duplicates": duplicated, "swapped": swapped}
    events.sort()
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        payload = b"\xff" * 160
        for arrival, i, seq in events:
            ssrc = 0x20000000 + i
            rtp = struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, (seq * 160) & 0xFFFFFFFF, ssrc) + payload
            src = (10 << 24) | (1 << 16) | (i >> 8 << 8) | (i & 0xFF)  # 10.1.x.y, one per stream
            udp = struct.pack("!HHHH", 20000 + 2 * i, 40000 + 2 * i, 8 + len(rtp), 0) + rtp
            ip = struct.pack("!BBHHHBBHII", 0x45, 0xB8, 20 + len(udp), 0, 0x4000, 64, 17, 0, src, (10 << 24) | (2 << 16) | 1) + udp
            frame = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip
            sec, usec = divmod(int(round(arrival * 1e6)), 1_000_000)
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
            f.write(frame)
    with open(out + ".json", "w") as f:
        json.dump({"streams": streams, "packets": len(events), "known": known}, f, indent=1)
    print("%s: %d packets in %d streams" % (out, len(events), streams))


if __name__ == "__main__":
    main()
