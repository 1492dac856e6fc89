#!/usr/bin/env python3
"""Writes emodel-reference.csv: the BESIP paper's simplified E-model evaluated independently of
besip's EModel class, for EModelTest to compare against.

Formulas, as the BESIP paper states them (after ITU-T G.107) and design.md section 5 records:
  Ie-eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl)
  Id     = 0.0267 * T              for T < 175 ms
           0.1194 * T - 15.876     for T >= 175 ms (the paper stops at 400 ms; besip goes on
                                   with the same piece, which the rows past 400 record)
  R      = 94.7688 - 1.4136 - Id - Ie-eff + A
  MOS    = 1 + 0.035 R + R (R - 60) (100 - R) 7e-6, clamped to [1, 4.5]
           (1 for R < 0, 4.5 for R > 100; the polynomial dips below 1 for 0 < R < 6.5153)
Run: python3 emodel_reference.py > emodel-reference.csv
"""
import sys


def id_(t):
    t = max(0.0, t)
    return 0.0267 * t if t < 175 else 0.1194 * t - 15.876


def ie_eff(ie, bpl, ppl, burst_r):
    if ppl <= 0:
        return ie
    return ie + (95 - ie) * ppl / (ppl / burst_r + bpl)


def mos(r):
    if r < 0:
        return 1.0
    if r > 100:
        return 4.5
    return min(4.5, max(1.0, 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6))


rows = []
# R -> MOS, with the edges: R = 6.5 exactly (the polynomial gives 0.9999, clamped), where it crosses 1, R = 100
for r in (-10, 0, 3, 6.4, 6.5, 6.5153, 6.6, 10, 50, 60, 80, 93.3552, 99.99, 100, 100.01, 120):
    rows.append(("mos", "", "", "", "", "", "", "", "", r, mos(r)))
# T -> Id, with the edges: the jump at T = 175 and the paper's last point T = 400
for t in (0, 100, 174.999, 175, 250, 399.999, 400, 500):
    rows.append(("delay", "", "", "", "", t, "", id_(t), "", "", ""))
# whole scores: codec Ie/Bpl (ITU-T G.113 App. I: G.711 with PLC 0/25.1, without 0/4.3; G.729A 11/19.0;
# G.723.1 6.3k 15/16.1), loss, burst ratio, delay, advantage
for ie, bpl, ppl, b, t, a in ((0, 25.1, 0, 1, 0, 0), (0, 25.1, 5, 4.747474747474747, 20, 0), (0, 25.1, 2, 1, 150, 0),
                              (0, 4.3, 1, 1, 20, 0), (11, 19.0, 1, 1, 50, 0), (11, 19.0, 1, 1, 50, 5),
                              (11, 19.0, 10, 2, 175, 0), (15, 16.1, 3, 1.5, 400, 10), (0, 25.1, 64, 1, 20, 0)):
    i = id_(t)
    e = ie_eff(ie, bpl, ppl, b)
    r = 94.7688 - 1.4136 - i - e + a
    rows.append(("score", ie, bpl, ppl, b, t, a, i, e, r, mos(r)))

out = sys.stdout
out.write("# origin: bundles/monitoring/src/test/resources/emodel/emodel_reference.py (Python floats), from the BESIP\n")
out.write("# paper's formulas as its docstring states them; not computed by besip's EModel class\n")
out.write("kind,ie,bpl,loss_pct,burst_r,delay_ms,advantage,id,ie_eff,r,mos\n")
for row in rows:
    out.write(",".join("" if v == "" else repr(float(v)) for v in row[1:]).join((row[0] + ",", "")) + "\n")
