#!/usr/bin/env python3
"""Plots the UDP transport's scaling from a bench CSV into docs/udp_scaling.svg.

    cargo run --release -p stardust_bench -- --only cpu,many,ports,sweep --csv /tmp/bench.csv
    python3 -m venv /tmp/plot && /tmp/plot/bin/pip install matplotlib
    /tmp/plot/bin/python docs/bench_plot.py /tmp/bench.csv docs/udp_scaling.svg

Left: listener CPU (share of one core, each point labelled in ms per peer-second) and the
messages/s it received, against connected peers, from the "listener CPU, N peers x R msgs/s"
rows. Right: reliable-ordered messages/s of 64 peers
against the number of peer ports, from the "64 peers, P port(s)" rows, with the raw std-UDP
one-way datagrams/s of the same run as a line.
"""

import csv
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LOAD = re.compile(r"listener CPU, ([\d,]+) peers x (\d+) msgs/s")
PORTS = re.compile(r"64 peers, (\d+) port")


def main(source: str, target: str) -> None:
    with open(source, newline="") as file:
        rows = list(csv.DictReader(file))
    load = {}
    ports = {}
    raw = None
    for row in rows:
        name, value = row["measurement"], float(row["value"])
        if name.startswith("one-way 64 B: std"):
            raw = value
        if match := LOAD.search(name):
            peers, rate = int(match[1].replace(",", "")), int(match[2])
            # Keep the sweep's 20 msgs/s points; the 256 x 60 point is plotted apart.
            load[(peers, rate)] = value
        if match := PORTS.search(name):
            ports[int(match[1])] = value

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for rate, marker in ((20, "o"), (60, "s")):
        points = sorted((p, v) for (p, r), v in load.items() if r == rate)
        if points:
            xs = [p for p, _ in points]
            # ms CPU per peer-second x peers / 10 = % of one core.
            left.plot(xs, [v * p / 10 for p, v in points], marker=marker,
                      label=f"% of one core, {rate} msgs/s per peer")
    twin = left.twinx()
    points = sorted((p, r) for (p, r) in load if r == 20)
    if points:
        # Every run checks that all sent messages were read, so this is also what was read.
        twin.plot([p for p, _ in points], [p * r for p, r in points], color="tab:gray",
                  linestyle=":", marker=".", label="messages/s received (20 per peer)")
        twin.set_ylabel("messages/s received by the listener")
        twin.legend(loc="center left")
    for (peers, rate), value in sorted(load.items()):
        left.annotate(f"{value:.2f} ms/peer-s", (peers, value * peers / 10),
                      textcoords="offset points", xytext=(4, -12), fontsize=8)
    left.set_xscale("log", base=2)
    left.set_xlabel("connected peers (64 B reliable-ordered messages)")
    left.set_ylabel("listener CPU, % of one core")
    left.set_title("Listener CPU vs peers (60 Hz frames, 4 peer ports)")
    left.grid(True, alpha=0.3)
    left.legend(loc="upper left")

    if ports:
        xs = sorted(ports)
        right.bar([str(x) for x in xs], [ports[x] for x in xs], color="tab:blue",
                  label="Stardust msgs/s (64 peers)")
        if raw:
            right.axhline(raw, color="tab:red", linestyle="--",
                          label="raw std UDP datagrams/s (same run)")
        right.set_ylim(0, max(ports.values()) * 1.3)
        right.set_xlabel("peer ports")
        right.set_ylabel("messages/s read by the listener")
        right.set_title("Throughput vs peer ports (2-core machine)")
        right.legend(loc="upper left")
        right.grid(True, axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(target)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: bench_plot.py BENCH.csv OUTPUT.svg")
    main(sys.argv[1], sys.argv[2])
