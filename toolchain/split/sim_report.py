"""The simulation's report: cases, latency per channel, UDP accuracy under loss, and the QoS pick."""

from __future__ import annotations

from pathlib import Path

from .report import figure, write_report


def _plots(data: dict) -> dict:
    rows, cases = data["rows"], [c["case"] for c in data["cases"]]
    latency, ax = figure(8, 4)
    for channel in data["options"]["channels"]:
        pick = {r["case"]: r["latency_ms"] for r in rows
                if r["channel"] == channel and r["protocol"] == "tcp" and r["loss"] == 0}
        ax.plot(range(len(cases)), [pick[c] for c in cases], marker="o", label=channel)
    ax.set(yscale="log", ylabel="end-to-end latency (ms)", title="TCP, no loss", xticks=range(len(cases)))
    ax.set_xticklabels(cases, rotation=30, fontsize=7, ha="right")
    ax.legend(fontsize=8)
    accuracy, ax2 = figure(8, 4)
    channel = data["options"]["channels"][0]
    for case in cases:
        for policy in data["options"]["policies"]:
            points = sorted((r["loss"], r["accuracy"]) for r in rows if r["case"] == case and r["channel"] == channel
                            and r["protocol"] == "udp" and r["policy"] == policy)
            ax2.plot([100 * p for p, _ in points], [a for _, a in points], marker=".", label=f"{case} / {policy}")
    ax2.set(xlabel="datagram loss (%)", ylabel="accuracy", title=f"UDP over {channel}: accuracy with reconstruction")
    ax2.legend(fontsize=6, ncol=2)
    return {"latency": latency, "udp-accuracy": accuracy}


def _case_table(data: dict) -> tuple:
    lossless = {r["case"]: r["accuracy"] for r in data["rows"] if r["protocol"] == "tcp" and r["loss"] == 0}
    rows = [(c["case"], "x".join(map(str, c["code_shape"])), c["payload_bytes"], f"{c['head_ms']:.2f}",
             c["cost_source"], c["device_memory"]["ram_bytes"], c["device_memory"]["flash_bytes"],
             f"{c['tail_ms']:.3f}", c["server_memory_bytes"], f"{lossless[c['case']]:.4f}") for c in data["cases"]]
    return ("cases", ("case", "payload shape", "payload B", "head ms", "head cost from", "device RAM B",
                      "device flash B", "tail ms (host)", "server memory B", "accuracy"), rows)


def _latency_table(data: dict) -> tuple:
    worst = max(data["options"]["losses"])
    rows = [(r["case"], r["channel"], r["protocol"], f"{100 * r['loss']:.0f}%", r["policy"] or "", r["packets"],
             f"{r['latency_ms']:.2f}", f"{r['latency_p95_ms']:.2f}", f"{r['accuracy']:.4f}",
             f"{r['frames_incomplete']:.3f}")
            for r in data["rows"] if r["loss"] in (0, worst) and r["policy"] in (None, data["options"]["policies"][0])]
    return (f"per channel at 0 % and {100 * worst:.0f} % loss", ("case", "channel", "protocol", "loss", "policy",
            "packets", "latency ms", "p95 ms", "accuracy", "frames incomplete"), rows)


def write_sim_report(data: dict, out_dir: Path) -> Path:
    pick = data["qos"]["recommended"]
    note = ("no configuration meets the QoS" if pick is None else
            f"QoS pick: {pick['case']} over {pick['channel']} / {pick['protocol']} at {100 * pick['loss']:.0f} % loss"
            f"{' (' + pick['policy'] + ')' if pick['policy'] else ''}: {pick['latency_ms']:.2f} ms, accuracy "
            f"{pick['accuracy']:.4f} ({data['qos']['matches']} configurations meet it)")
    notes = (f"board {data['board']} at {data['clock_hz'] / 1e6:.0f} MHz (one instruction per cycle); "
             f"QoS: accuracy >= {data['qos']['min_accuracy']}, latency <= {data['qos']['max_latency_ms']} ms", note)
    return write_report(out_dir, "simulate", "Split-Et-Impera communication simulation", data, _plots(data),
                        [_case_table(data), _latency_table(data)], notes)
