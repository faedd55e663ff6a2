"""Differential test of nwsh's jq engine against jq 1.8.2 (PyPI `jq`, which bundles libjq 1.8.2).

Usage: jq_differential.py RUNNER CASES SEED [--report FILE] [--show N]

RUNNER is `jq-conformance --differential` (the engine's side). Both sides run the same program
text, `(PROGRAM) | tojson`, so outputs are compared as text: number spelling and key order count.
Each disagreement is shrunk to a smaller part of the program that still disagrees the same way.
"""

import hashlib
import json
import multiprocessing
import os
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from jq_differential_gen import EXCLUDED, SIGNATURES, CONSTRUCTS, Generator, json_tree  # noqa: E402

MAX_OUTPUTS = 200
SECONDS = 2.0


def jq_worker(connection):
    import jq

    while True:
        program, text = connection.recv()
        try:
            compiled = jq.compile(program)
        except Exception as error:  # a compile error
            connection.send({"compile": str(error)})
            continue
        outputs = []
        failure = None
        try:
            for value in compiled.input_text(text):
                outputs.append(value)
                if len(outputs) >= MAX_OUTPUTS:
                    break
        except Exception as error:
            failure = str(error)
        connection.send({"outputs": outputs, "error": failure})


class JQ:
    """libjq 1.8.2 in a worker process, restarted when a case runs past its time."""

    def __init__(self):
        self.start()

    def start(self):
        self.parent, child = multiprocessing.Pipe()
        self.process = multiprocessing.Process(target=jq_worker, args=(child,), daemon=True)
        self.process.start()

    def run(self, program, text):
        started = time.monotonic()
        self.parent.send((program, text))
        if self.parent.poll(SECONDS):
            answer = self.parent.recv()
            answer["seconds"] = time.monotonic() - started
            return answer
        self.process.kill()
        self.process.join()
        self.start()
        return {"timeout": True, "seconds": SECONDS}


class Engine:
    """The engine's runner, one process for the whole run (restarted if a case outlives the
    runner's own deadline: a loop that never looks at its interruption)."""

    def __init__(self, runner):
        self.runner = runner
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            self.runner, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def run(self, program, text):
        started = time.monotonic()
        self.process.stdin.write(json.dumps({"program": program, "input": text}) + "\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], SECONDS * 5)
        if not ready:
            self.process.kill()
            self.process.wait()
            self.start()
            return {"timeout": True, "stuck": True, "seconds": SECONDS * 5}
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit("the engine's runner stopped (a crash?) on: " + program + " with input " + text)
        answer = json.loads(line)
        answer["seconds"] = time.monotonic() - started
        return answer


def wrapped(program):
    return "(" + program + ") | tojson"


def outcome(jq_answer, engine_answer):
    """The class of a case: 'same', or why the two differ."""
    if jq_answer.get("timeout"):
        return "jq-timeout"
    if "input" in engine_answer:
        return "input-refused"
    jq_compile, engine_compile = "compile" in jq_answer, "compile" in engine_answer
    if jq_compile and engine_compile:
        return "same"
    if engine_compile:
        message = engine_answer["compile"]
        return "missing-builtin" if "is not defined" in message else "engine-refuses"
    if jq_compile:
        return "engine-accepts"
    if engine_answer.get("stuck"):
        return "engine-stuck"
    if engine_answer.get("timeout"):
        return "engine-hangs"
    jq_outputs, engine_outputs = jq_answer["outputs"], engine_answer["outputs"]
    jq_error, engine_error = jq_answer["error"], engine_answer["error"]
    if jq_outputs != engine_outputs:
        if len(jq_outputs) == len(engine_outputs) and same_values(jq_outputs, engine_outputs):
            return "number-spelling"
        return "different-value"
    if (jq_error is None) != (engine_error is None):
        return "error-vs-value"
    if jq_error is not None and normalized(jq_error) != normalized(engine_error):
        return "error-message"
    return "same"


def same_values(texts, others):
    """Whether two lists of JSON texts hold equal values (so they differ in spelling only)."""
    try:
        return [json.loads(x) for x in texts] == [json.loads(x) for x in others]
    except ValueError:
        return False


def normalized(message):
    """jq's message without its `jq: error (at <unknown>): ` prefix."""
    for prefix in ("jq: error (at <unknown>): ", "jq: error: "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def main():
    runner, cases, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    report_path = sys.argv[sys.argv.index("--report") + 1] if "--report" in sys.argv else None
    show = int(sys.argv[sys.argv.index("--show") + 1]) if "--show" in sys.argv else 3
    import jq

    builtins = jq.compile("builtins").input_value(None).first()
    generator = Generator(int(hashlib.sha256(seed.encode()).hexdigest()[:16], 16), builtins)
    jq_side, engine = JQ(), Engine(runner.split())
    classes, examples, slowest = {}, {}, []

    def check(program, text):
        a = jq_side.run(wrapped(program), text)
        b = engine.run(wrapped(program), text)
        return outcome(a, b), a, b

    for number in range(cases):
        tree = generator.filter()
        data = json_tree(generator.r)
        text = str(data)
        kind, a, b = check(str(tree), text)
        if kind not in ("same", "jq-timeout"):
            # Shrink the program, then the input: the smallest case that still differs the same way.
            for _ in range(60):
                for smaller in tree.shrinks():
                    if check(str(smaller), text)[0] == kind:
                        tree = smaller
                        break
                else:
                    break
            for _ in range(60):
                for smaller in data.shrinks():
                    if check(str(tree), str(smaller))[0] == kind:
                        data = smaller
                        break
                else:
                    break
            text = str(data)
            kind, a, b = check(str(tree), text)
            examples.setdefault(kind, []).append((str(tree), text, a, b))
        classes[kind] = classes.get(kind, 0) + 1
        if "seconds" in a and "seconds" in b and kind == "same":
            slowest.append((b["seconds"] / max(a["seconds"], 1e-4), b["seconds"], a["seconds"], str(tree)))
        if (number + 1) % 1000 == 0:
            print(f"  {number + 1} cases", file=sys.stderr)

    drawn = set(generator.coverage.builtins)
    eligible = sorted(b for b in builtins if b not in EXCLUDED)
    lines = [f"jq differential: {cases} cases, seed {seed}, against libjq 1.8.2 (PyPI jq)"]
    for kind, count in sorted(classes.items(), key=lambda item: -item[1]):
        lines.append(f"  {kind:18} {count:7}  ({100.0 * count / cases:.1f}%)")
    lines.append(
        f"reach: {len(drawn)} of {len(eligible)} builtins jq lists (besides the {len(EXCLUDED)} left out: "
        + ", ".join(sorted(EXCLUDED)) + "); "
        + f"{len(generator.coverage.constructs)} of {len(CONSTRUCTS)} constructs")
    missing = [b for b in eligible if b not in drawn]
    if missing:
        lines.append("  builtins not drawn: " + ", ".join(missing))
    untyped = [b for b in eligible if b not in SIGNATURES]
    if untyped:
        lines.append("  builtins drawn without a typed signature: " + ", ".join(untyped))
    slowest.sort(reverse=True)
    lines.append("slowest ten against jq (ratio, nwsh s, jq s, program):")
    for ratio, mine, theirs, program in slowest[:10]:
        lines.append(f"  {ratio:6.1f}x {mine:.4f} {theirs:.4f}  {program[:100]}")
    for kind, items in sorted(examples.items()):
        lines.append(f"-- {kind}: {len(items)}, first {min(show, len(items))} shrunk:")
        for program, text, a, b in items[:show]:
            lines.append(f"   program: {program}\n   input:   {text}\n   jq:      {summary(a)}\n   nwsh:    {summary(b)}")
    report = "\n".join(lines)
    print(report)
    if report_path:
        with open(report_path, "w") as handle:
            handle.write(report + "\n")
            for kind, items in sorted(examples.items()):
                for program, text, a, b in items:
                    handle.write(json.dumps({"class": kind, "program": program, "input": text}) + "\n")
    unexplained = sum(count for kind, count in classes.items() if kind not in ("same", "jq-timeout"))
    sys.exit(1 if unexplained else 0)


def summary(answer):
    if answer.get("timeout"):
        return "timeout"
    if "compile" in answer:
        return "compile error: " + answer["compile"][:160]
    if "input" in answer:
        return "input refused: " + answer["input"][:160]
    text = " ".join(answer["outputs"])[:200]
    return text + (("  error: " + answer["error"][:160]) if answer.get("error") else "")


if __name__ == "__main__":
    main()
