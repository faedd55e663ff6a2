"""Differential test of nwsh's jq engine against jq 1.8.2 (PyPI `jq`, which bundles libjq 1.8.2).

Usage: jq_differential.py RUNNER CASES SEED [--report FILE] [--show N] [--jobs N]
       jq_differential.py RUNNER 0 - --recheck REPORT   (a report's cases, named again)

RUNNER is `jq-conformance --differential` (the engine's side). Both sides run the same program
text, `(PROGRAM) | tojson`, so outputs are compared as text: number spelling and key order count.
Each disagreement is shrunk to a smaller part of the program that still disagrees the same way.
"""

import hashlib
import json
import re
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
        started = time.process_time()
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
        connection.send({"outputs": outputs, "error": failure, "evaluation": time.process_time() - started})


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
            answer["wall"] = time.monotonic() - started
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
            # The runner died on this case (a crash): say so, and go on with a new one.
            self.process.wait()
            self.start()
            return {"crash": True, "seconds": 0}
        answer = json.loads(line)
        answer["wall"] = time.monotonic() - started
        if "errorValue" in answer:
            answer["error"] = as_jq_library_says(answer["errorValue"])
        return answer


def as_jq_library_says(value):
    """An error whose value is not a string, worded as PyPI jq words it: the value converted to
    Python (whole numbers as ints, infinities as the largest double, nan as None) and dumped by
    Python's json with its default separators (`{"a": 1}`)."""

    def convert(v):
        if v in ("\0inf", "\0-inf"):  # the engine's mark for an infinite number
            return 1.7976931348623157e308 if v == "\0inf" else -1.7976931348623157e308
        if isinstance(v, float):
            if v != v:
                return None
            if v in (float("inf"), float("-inf")):
                return 1.7976931348623157e308 if v > 0 else -1.7976931348623157e308
            return int(v) if v.is_integer() else v
        if isinstance(v, int) and not isinstance(v, bool):
            return int(float(v))
        if isinstance(v, list):
            return [convert(x) for x in v]
        if isinstance(v, dict):
            return {k: convert(x) for k, x in v.items()}
        return v

    return json.dumps(convert(value))


REGEX_CALL = re.compile(r"\b(test|match|capture|scan|splits?|sub|gsub)\(")
# A `break`, or a builtin jq 1.8.2 writes with one (`label $out | … break $out`).
BREAKS = re.compile(r"\bbreak\b|\b(limit|first|isempty|nth|all|any|IN|skip)\(")
NON_ASCII_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def asciified(text):
    """`text` with every character outside ASCII, and every `\\uXXXX` escape of one, as `Q`."""
    text = NON_ASCII_ESCAPE.sub(lambda m: "Q" if int(m.group(1), 16) >= 0x80 else m.group(0), text)
    return "".join(c if ord(c) < 0x80 else "Q" for c in text)


# The generator's patterns that match the empty string (where jq's byte steps show).
EMPTY_MATCHING = {'""', '"x*"', '"\\\\b"', '"^"', '"$"', '"(?<n>[0-9]+)?"', '"(?<all>.*)"'}
PATTERN_ARGUMENT = re.compile(r'\b(?:test|match|capture|scan|splits?|sub|gsub)\(("(?:[^"\\]|\\.)*")')
GLOBAL = re.compile(r'\b(?:gsub|scan|splits?)\(|;\s*"[a-z]*g[a-z]*"\)')
UPDATE = re.compile(r"\|=|\+=|-=|\*=|/=|%=|//=|\bmap_values\(|\bwalk\(|\bwith_entries\(")
# A combining mark (U+0300–U+036F), written or escaped.
COMBINING = re.compile(r"[\u0300-\u036f]|\\u03[0-6][0-9a-fA-F]")
NESTED_CLASS = re.compile(r"\[[^\]]*\[|\[\^?\]|\(\?P")


def subsequence(short, long):
    """Whether `short` is `long` with some characters left out."""
    rest = iter(long)
    return all(c in rest for c in short)


def strings_in(program, text):
    """The string literals of the program and the strings of the input: what a pattern could be."""
    found = [text] + [m.group(0) for m in re.finditer(r'"(?:[^"\\]|\\.)*"', program)]
    try:
        def walk(v):
            if isinstance(v, str):
                found.append(v)
            elif isinstance(v, list):
                for x in v:
                    walk(x)
            elif isinstance(v, dict):
                for k, x in v.items():
                    found.append(k)
                    walk(x)
        walk(json.loads(text))
    except ValueError:
        pass
    return found


def documented(kind, program, text, a, b, check):
    """The documented difference (README, "Differences from jq") a disagreement is, or None.
    Each rule is narrow: what it names must be all that differs.

    - A pattern that matches the empty string, with `g`, over text with multi-byte characters:
      jq steps one byte at a time and so finds more empty matches, at offsets inside
      characters. A pattern in the program must be one that matches the empty string, the case
      must agree once every character is one byte, and jq must have said more.
    - `\b` in a text with a combining mark (decomposed text): Swift's word boundaries over code
      points take the mark (and a digit) for a non-word character. The case must agree once
      every character outside ASCII is a letter.
    - The `l` flag (Oniguruma's longest match) has no effect here: the case must agree once jq
      is not given it either.
    - A pattern with a `[` inside a character class, which Oniguruma reads as a nested class
      and Swift as a `[`: refused, worded or matched otherwise. A literal pattern in the
      program must have one; a pattern made at run time must come from text that has one.
    - `?//` with a `break` in its body (or a builtin jq writes with one: `limit`, `first`…):
      jq 1.8.2 takes the break for an error and tries the next pattern, so it says more.
    - `?//` inside an update (`|=`, `map_values`, `walk`): jq 1.8.2 loses its path bookkeeping
      there and fails with `Paths must be specified as an array` (or `Out of bounds negative array
      index`), whatever the engine then says.
    """
    jq_text, engine_text = "".join(a.get("outputs", [])), "".join(b.get("outputs", []))
    patterns = PATTERN_ARGUMENT.findall(program)
    if kind in ("different-value", "error-message") and any(p in EMPTY_MATCHING for p in patterns) \
            and GLOBAL.search(program) and (asciified(program) != program or asciified(text) != text):
        # jq says more: more outputs, longer ones, or (its error naming a value, cut to a few
        # bytes) another error once the outputs agree.
        more = len(a["outputs"]) > len(b["outputs"]) or len(jq_text) > len(engine_text) or (
            kind == "error-message" and a["outputs"] == b["outputs"])
        if more and check(asciified(program), asciified(text))[0] == "same":
            return "regex empty matches inside multi-byte characters"
    if any("\\\\b" in p or "\\\\B" in p for p in patterns) and COMBINING.search(program + text) and \
            check(asciified(program), asciified(text))[0] == "same":
        return "regex \\b beside a combining mark"
    if REGEX_CALL.search(program) and re.search(r';\s*"l"\)', program):
        without = re.sub(r';\s*"l"\)', "; null)", program)
        kind2, a2, b2 = check(without, text)
        if kind2 == "same" or documented(kind2, without, text, a2, b2, check):
            return "the l flag (longest match) has no effect"
    if REGEX_CALL.search(program) and any(NESTED_CLASS.search(s) for s in strings_in(program, text)) and (
            PATTERN_ARGUMENT.search(program) is None or any(NESTED_CLASS.search(p) for p in patterns)):
        # A pattern with a `[` inside a class (the program's own, or made of the input's text):
        # Oniguruma reads a nested class there, Swift a `[`.
        return "regex syntax: Swift's, not Oniguruma's, where they differ"
    if "?//" in program and BREAKS.search(program) and (
            not b.get("error") and len(jq_text) > len(engine_text) and subsequence(engine_text, jq_text)
            or kind == "error-message" and subsequence(b["error"], a["error"])
            or kind == "engine-hangs"):
        # jq says more (or an error naming more), or stops where the engine, taking the break as
        # a break, goes on into a generator that never ends.
        return "jq 1.8.2 bug: ?// takes a break for an error"
    if "?//" in program and UPDATE.search(program) and a.get("error") in (
            "Paths must be specified as an array", "Out of bounds negative array index") and a.get("error") != b.get("error"):
        return "jq 1.8.2 bug: ?// inside an update"
    return None


def wrapped(program):
    return "(" + program + ") | tojson"


def outcome(jq_answer, engine_answer):
    """The class of a case: 'same', or why the two differ."""
    if engine_answer.get("crash"):
        return "engine-crash"
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


def option(name, default=None):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def run_part(runner, cases, seed, part, parts, builtins):
    """Cases number part, part + parts, …: each drawn from a generator seeded by the seed and its
    number, so a case is the same however the run is split."""
    jq_side, engine = JQ(), Engine(runner.split())
    classes, examples, slowest, builtins_drawn, constructs_drawn = {}, {}, [], set(), set()

    def check(program, text):
        a = jq_side.run(wrapped(program), text)
        b = engine.run(wrapped(program), text)
        return outcome(a, b), a, b

    for number in range(part, cases, parts):
        generator = Generator(int(hashlib.sha256(f"{seed}/{number}".encode()).hexdigest()[:16], 16), builtins)
        tree = generator.filter()
        data = json_tree(generator.r)
        builtins_drawn |= set(generator.coverage.builtins)
        constructs_drawn |= set(generator.coverage.constructs)
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
            reason = documented(kind, str(tree), text, a, b, check)
            if reason:
                kind = "documented: " + reason
            examples.setdefault(kind, []).append((str(tree), text, a, b))
        classes[kind] = classes.get(kind, 0) + 1
        if "evaluation" in a and "seconds" in b and kind == "same":
            # Each side's own CPU time to compile and run the case, in its own process (the pipes
            # between the processes are neither's, and other work on the machine is not counted).
            mine, theirs = b["seconds"], a["evaluation"]
            slowest.append((mine / max(theirs, 1e-4), mine, theirs, str(tree)))
            slowest = sorted(slowest, reverse=True)[:10]
        done = (number - part) // parts + 1
        if done % 1000 == 0:
            print(f"  {done} cases" + (f" (part {part + 1} of {parts})" if parts > 1 else ""), file=sys.stderr)
    return {"classes": classes, "examples": examples, "slowest": slowest,
            "builtins": sorted(builtins_drawn), "constructs": sorted(constructs_drawn)}


def main():
    runner, cases, seed = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    report_path = option("--report")
    show = int(option("--show", "3"))
    jobs = int(option("--jobs", "1"))
    import jq

    builtins = jq.compile("builtins").input_value(None).first()
    if "--recheck" in sys.argv:
        # The cases a report kept (each disagreement, shrunk), run and named again by the rules
        # as they are now.
        jq_side, engine = JQ(), Engine(runner.split())

        def check(program, text):
            a = jq_side.run(wrapped(program), text)
            b = engine.run(wrapped(program), text)
            return outcome(a, b), a, b

        counts = {}
        for line in open(option("--recheck")):
            if not line.startswith("{"):
                continue
            case = json.loads(line)
            kind, a, b = check(case["program"], case["input"])
            reason = documented(kind, case["program"], case["input"], a, b, check)
            kind = "documented: " + reason if reason else kind
            counts[kind] = counts.get(kind, 0) + 1
            if kind not in ("same", "jq-timeout") and not kind.startswith("documented"):
                print(f"{kind}: {case['program']}\n   input: {case['input']}\n   jq:    {summary(a)}\n   nwsh:  {summary(b)}")
        for kind, count in sorted(counts.items(), key=lambda item: -item[1]):
            print(f"  {kind:18} {count:7}")
        return
    if "--part" in sys.argv:
        # One of the processes of a run split with --jobs: its results as JSON on stdout.
        part = int(option("--part"))
        print(json.dumps(run_part(runner, cases, seed, part, jobs, builtins)))
        return
    if jobs > 1:
        workers = [subprocess.Popen([sys.executable, __file__, runner, str(cases), seed, "--jobs", str(jobs),
                                     "--part", str(part)], stdout=subprocess.PIPE, text=True)
                   for part in range(jobs)]
        parts = [json.loads(worker.communicate()[0]) for worker in workers]
        if any(worker.returncode != 0 for worker in workers):
            raise SystemExit("a part of the run failed")
    else:
        parts = [run_part(runner, cases, seed, 0, 1, builtins)]
    classes, examples, slowest, drawn, constructs = {}, {}, [], set(), set()
    for result in parts:
        for kind, count in result["classes"].items():
            classes[kind] = classes.get(kind, 0) + count
        for kind, items in result["examples"].items():
            examples.setdefault(kind, []).extend(items)
        slowest += [tuple(item) for item in result["slowest"]]
        drawn |= set(result["builtins"])
        constructs |= set(result["constructs"])

    eligible = sorted(b for b in builtins if b not in EXCLUDED)
    lines = [f"jq differential: {cases} cases, seed {seed}, against libjq 1.8.2 (PyPI jq)"]
    for kind, count in sorted(classes.items(), key=lambda item: -item[1]):
        lines.append(f"  {kind:18} {count:7}  ({100.0 * count / cases:.2f}%)")
    lines.append(
        f"reach: {len(drawn)} of {len(eligible)} builtins jq lists (besides the {len(EXCLUDED)} left out: "
        + ", ".join(sorted(EXCLUDED)) + "); "
        + f"{len(constructs)} of {len(CONSTRUCTS)} constructs")
    missing = [b for b in eligible if b not in drawn]
    if missing:
        lines.append("  builtins not drawn: " + ", ".join(missing))
    untyped = [b for b in eligible if b not in SIGNATURES]
    if untyped:
        lines.append("  builtins drawn without a typed signature: " + ", ".join(untyped))
    slowest.sort(reverse=True)
    lines.append("slowest ten against jq (ratio, nwsh s, jq s, program; each side's own CPU time):")
    for ratio, mine, theirs, program in slowest[:10]:
        lines.append(f"  {ratio:6.1f}x {mine:.4f} {theirs:.4f}  {program[:100]}")
    for kind, items in sorted(examples.items()):
        lines.append(f"-- {kind}: {len(items)}, first {min(show, len(items))} shrunk:")
        for program, text, a, b in items[:show]:
            lines.append(f"   program: {program}\n   input:   {text}\n   jq:      {summary(a)}\n   nwsh:    {summary(b)}")
    unexplained = sum(
        count for kind, count in classes.items() if kind not in ("same", "jq-timeout") and not kind.startswith("documented"))
    lines.append(f"unexplained: {unexplained}")
    report = "\n".join(lines)
    print(report)
    if report_path:
        with open(report_path, "w") as handle:
            handle.write(report + "\n")
            for kind, items in sorted(examples.items()):
                for program, text, a, b in items:
                    handle.write(json.dumps({"class": kind, "program": program, "input": text}) + "\n")
    sys.exit(1 if unexplained else 0)


def summary(answer):
    if answer.get("crash"):
        return "crashed"
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
