"""Writes docs/jq-builtins.md: every builtin jq 1.8.2 lists, whether nwsh's engine has it, how it
is written, and whether the differential test draws it.

Usage: python3 scripts/lib/jq_builtin_table.py PATH/TO/jq-conformance   (from the repository root)
"""
import jq, json, subprocess, sys, re, glob
sys.path.insert(0, 'scripts/lib')
from jq_differential_gen import EXCLUDED
ref = sorted(jq.compile('builtins').input_value(None).first(), key=lambda s: (s.split('/')[0].lower(), s))
p = subprocess.run([sys.argv[1], '--differential'], input=json.dumps({"program":"[builtins]","input":"null"})+"\n", capture_output=True, text=True)
ours = set(json.loads(p.stdout)['outputs'][0][0])
native = set()
for f in glob.glob('Sources/JQ/Builtins/*.swift') + glob.glob('Sources/JQ/Eval/*.swift'):
    s = open(f).read()
    native |= set(re.findall(r't(?:\.unary\(|\[)"([A-Za-z_0-9]+/\d)"', s))
    native |= {f"{n}/0" for n in re.findall(r'\("(l?r?trim)", ', s)}
math = set()
s = open('Sources/JQ/Builtins/Math.swift').read()
for m in re.findall(r'\("([a-z0-9_]+)", \{ ?[^}]*\$1', s): math.add(m + '/2')
for m in re.findall(r'\("([a-z0-9_]+)", \{', s):
    if m + '/2' not in math: math.add(m + '/0')
math |= {"significand/0", "fma/3", "frexp/0", "modf/0", "lgamma_r/0", "ldexp/2", "scalb/2", "scalbln/2", "jn/2", "yn/2", "nexttoward/2", "drem/2", "logb/0", "gamma/0", "nearbyint/0", "trunc/0", "rint/0"}
prelude = open('Sources/JQ/Builtins/Prelude.swift').read()
defs = set()
for m in re.finditer(r'def ([A-Za-z_][A-Za-z_0-9]*)(\(([^)]*)\))?:', prelude):
    params = m.group(3)
    arity = 0 if not params else params.count(';') + 1
    defs.add(f"{m.group(1)}/{arity}")
missing = [b for b in ref if b not in ours]
extra = sorted(b for b in ours if b not in ref)
rows = []
for b in ref:
    has = 'yes' if b in ours else '**no**'
    if b in math: how = 'Swift, through the C library'
    elif b in native: how = 'Swift'
    elif b in defs: how = 'jq (a definition in jq)' 
    else: how = 'Swift (the compiler)'
    diff = 'left out: ' + EXCLUDED[b] if b in EXCLUDED else 'drawn'
    rows.append(f"| `{b}` | {has} | {how} | {diff} |")
print(f"{len(ref)} builtins in jq 1.8.2, {len(ours)} in nwsh; missing: {missing}; extra: {extra}")
hdr = f"""# jq 1.8.2's builtins in nwsh

Every builtin jq 1.8.2 lists (`jq -n 'builtins'`, {len(ref)} name/arity pairs), whether nwsh's
engine has it, how it is written, and whether `scripts/jq-differential` draws it. nwsh has all
{len(ref) - len(missing)} of them and lists no others (`builtins | length` is {len(ours)} in both).
Those the differential test leaves out read or change the process; jq's own test cases
(`scripts/jq-conformance`) and nwsh's tests check them instead.

Generated from jq 1.8.2 (PyPI `jq` 1.13.0) and the engine's `builtins`. "Swift" is a builtin
written in Swift (the math ones call the C library, as jq does); "jq" is a definition in jq's
own language, in `Sources/JQ/Builtins/Prelude.swift`. To write this page again:
`python3 scripts/lib/jq_builtin_table.py .build/debug/jq-conformance`.

| builtin | nwsh | written in | differential test |
|---|---|---|---|
"""
open('docs/jq-builtins.md','w').write(hdr + '\n'.join(rows) + '\n')
