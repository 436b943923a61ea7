#!/usr/bin/env python3
"""Top operators of a LibTorch profiler trace (train.profile_steps, attnlab_bench decode --profile).

  profile_summary.py TRACE.json [--top 20] [--per N]

Self time = an op's duration minus the ops nested in it on the same thread. Prints a Markdown
table: op, calls, self ms, share of all self time, total (inclusive) ms; `--per N` divides the
times by N (e.g. the number of profiled steps) to give ms per step.
"""
import argparse
import collections
import json


def events_of(path):
    with open(path) as f:
        text = f.read().strip()
    if text.endswith(","):  # the legacy writer may leave a trailing comma
        text = text[:-1]
    if not text.startswith("[") and not text.startswith("{"):
        text = "[" + text + "]"
    if text.startswith("[") and not text.endswith("]"):
        text += "]"
    data = json.loads(text)
    if isinstance(data, dict):
        data = data.get("traceEvents", [])
    return [e for e in data if e.get("ph") == "X" and "dur" in e]


def self_times(events):
    calls = collections.Counter()
    self_us = collections.Counter()
    total_us = collections.Counter()
    by_thread = collections.defaultdict(list)
    for e in events:
        by_thread[(e.get("pid"), e.get("tid"))].append(e)
    for thread_events in by_thread.values():
        thread_events.sort(key=lambda e: (float(e["ts"]), -float(e["dur"])))
        stack = []  # [end, name, child_us]
        def close(entry):
            end, name, child_us, dur = entry
            self_us[name] += dur - child_us
        for e in thread_events:
            ts, dur = float(e["ts"]), float(e["dur"])
            while stack and stack[-1][0] <= ts:
                close(stack.pop())
            if stack:
                stack[-1][2] += dur
            stack.append([ts + dur, e["name"], 0.0, dur])
            calls[e["name"]] += 1
            total_us[e["name"]] += dur
        while stack:
            close(stack.pop())
    return calls, self_us, total_us


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("trace")
    p.add_argument("--top", type=int, default=20)
    p.add_argument("--per", type=float, default=1.0, help="divide times by this (e.g. profiled steps)")
    args = p.parse_args()
    calls, self_us, total_us = self_times(events_of(args.trace))
    all_self = sum(self_us.values())
    unit = "ms" if args.per == 1.0 else "ms/step"
    print(f"| op | calls | self {unit} | self share | total {unit} |")
    print("| :--- | ---: | ---: | ---: | ---: |")
    for name, us in self_us.most_common(args.top):
        print(f"| {name} | {calls[name] / args.per:.0f} | {us / 1e3 / args.per:.2f} | {100 * us / all_self:.1f}% "
              f"| {total_us[name] / 1e3 / args.per:.2f} |")
    print(f"\nall ops: {all_self / 1e3 / args.per:.2f} {unit} of self time")


if __name__ == "__main__":
    main()
