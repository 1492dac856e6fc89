#!/usr/bin/env python3
"""Reads a sipp -trace_msg message log of a REGISTER flood: prints REGISTERs sent, answers
received, how many were answered beyond the threshold (the 51st REGISTER is where a '50 in 5 s'
rule fires), the time to block -- from the 51st REGISTER sent to the first one that was never
answered (answers come in order on loopback), in ms -- and when the last answer came, in ms after
the 51st REGISTER (negative: before it went out).

    bench/sipp_log.py FILE [THRESHOLD]      (THRESHOLD default 50)
"""
import re
import sys
from datetime import datetime

text = open(sys.argv[1], encoding="latin-1").read()
threshold = int(sys.argv[2]) if len(sys.argv) > 2 else 50
entries = re.findall(r"-{20,} (\d{4}-\d\d-\d\d\s\d\d:\d\d:\d\d\.\d{6})\r?\n(?:UDP|TCP) message (sent|received)[^\n]*\n\r?\n([^\r\n]*)", text)
at = lambda s: datetime.strptime(s.replace("\t", " "), "%Y-%m-%d %H:%M:%S.%f")
sent = [at(t) for t, d, first in entries if d == "sent" and first.startswith("REGISTER")]
received = [at(t) for t, d, first in entries if d == "received"]
if len(sent) <= threshold or not received:
    print("sent=%d answers=%d ttb_ms=n/a" % (len(sent), len(received)))
else:
    beyond = max(0, len(received) - threshold)
    first_unanswered = sent[min(threshold + beyond, len(sent) - 1)]
    ms = lambda a, b: round((a - b).total_seconds() * 1000)
    print("sent=%d answers=%d beyond_threshold=%d ttb_ms=%d last_answer_ms=%d" % (len(sent), len(received), beyond,
          ms(first_unanswered, sent[threshold]), ms(received[-1], sent[threshold])))
