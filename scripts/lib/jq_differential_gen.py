"""Random jq programs and inputs for the differential test against jq 1.8.2 (scripts/jq-differential).

A program is a tree (`Node`): text around children, so a disagreement can be shrunk to one of
its parts. Generation is typed, so that most programs do something: each builtin and construct
says what input it wants, and the generator shapes the input first (`tostring`, `[.[]?]`,
`keys`…) when the value at hand may not be of that type. What the generator drew from is
counted (`Coverage`), so the report can say what a run reached and what it did not.
"""

import json
import random

# Builtins the test leaves out, with why: they read the process (time, environment, files,
# standard input or error), stop it, or depend on where jq was installed.
EXCLUDED = {
    "input/0": "reads standard input",
    "inputs/0": "reads standard input",
    "debug/0": "writes to standard error",
    "debug/1": "writes to standard error",
    "stderr/0": "writes to standard error",
    "input_filename/0": "names the input file",
    "input_line_number/0": "counts input lines",
    "now/0": "reads the clock",
    "localtime/0": "reads the time zone",
    "strflocaltime/1": "reads the time zone",
    "env/0": "reads the environment",
    "halt/0": "exits the process",
    "halt_error/0": "exits the process",
    "halt_error/1": "exits the process",
    "get_search_list/0": "names install directories",
    "get_prog_origin/0": "names install directories",
    "get_jq_origin/0": "names install directories",
    "modulemeta/0": "reads module files",
    "builtins/0": "lists itself (compared by count in a case of its own)",
}

STRINGS = [
    "", "a", "abc", "a,b,c", "Hello, World", "ß", "straße", "e\u0301", "😀x", "日本語", " padded ",
    "x-y_z", "123", "-1.5", "1e3", "nan", "true", "null", "[1,2]", '{"a":1}', "2015-03-05T23:51:47Z",
    "aAbB", "tab\there", "line\nbreak", "İı", "ﬁ", "a.b.c", "aaa", "abcabc", "0x10", "  ", "Ünïcödé",
]
NUMBERS = ["0", "-0", "1", "-1", "2", "3", "0.1", "1.5", "-2.5", "100", "1e3", "1e1000", "-1e-400",
           "12345678901234567890", "0.30000000000000004", "1e-7", "1.7976931348623157e308",
           "9007199254740993", "3.0", "-7", "1000000"]
KEYS = ["a", "b", "c", "name", "email", "x", "é", "10", "", "A", "key with space", "z"]


class JSONNode:
    """A JSON value kept as text where it is a scalar (so `1e1000` and `-0` stay as written),
    and as members where it is a container, so that an input can be shrunk like a program."""

    def __init__(self, scalar=None, items=None, members=None):
        self.scalar, self.items, self.members = scalar, items, members

    def __str__(self):
        if self.items is not None:
            return "[" + ",".join(str(item) for item in self.items) + "]"
        if self.members is not None:
            return "{" + ",".join(key + ":" + str(value) for key, value in self.members) + "}"
        return self.scalar

    def shrinks(self):
        """Smaller inputs: each element alone, the container without one element, `null`."""
        out = []
        if self.items is not None:
            out += self.items
            out += [JSONNode(items=self.items[:i] + self.items[i + 1:]) for i in range(len(self.items))]
            for i, item in enumerate(self.items):
                out += [JSONNode(items=self.items[:i] + [smaller] + self.items[i + 1:]) for smaller in item.shrinks()]
        elif self.members is not None:
            out += [value for _, value in self.members]
            out += [JSONNode(members=self.members[:i] + self.members[i + 1:]) for i in range(len(self.members))]
            for i, (key, value) in enumerate(self.members):
                out += [JSONNode(members=self.members[:i] + [(key, smaller)] + self.members[i + 1:])
                        for smaller in value.shrinks()]
        if str(self) != "null":
            out.append(JSONNode(scalar="null"))
        return out


def json_tree(r, depth=0):
    """A JSON value: scalars of every kind, and containers up to a few levels and many keys."""
    roll = r.random()
    if depth > 3 or roll < 0.45:
        kind = r.choice(["s", "s", "n", "n", "n", "b", "null"])
        if kind == "s":
            return JSONNode(scalar=json.dumps(r.choice(STRINGS), ensure_ascii=r.random() < 0.3))
        if kind == "n":
            return JSONNode(scalar=r.choice(NUMBERS))
        if kind == "b":
            return JSONNode(scalar=r.choice(["true", "false"]))
        return JSONNode(scalar="null")
    if roll < 0.72:
        n = r.choice([0, 1, 2, 3, 3, 4, 6])
        return JSONNode(items=[json_tree(r, depth + 1) for _ in range(n)])
    n = r.choice([0, 1, 2, 3, 4, 6, 12])
    keys = r.sample(KEYS, min(n, len(KEYS)))
    return JSONNode(members=[(json.dumps(k), json_tree(r, depth + 1)) for k in keys])


def json_value(r, depth=0):
    """A JSON text (see ``json_tree``)."""
    return str(json_tree(r, depth))


class Node:
    """Text around children: parts[0] child[0] parts[1] … parts[n]."""

    def __init__(self, parts, children=()):
        self.parts = list(parts)
        self.children = list(children)
        assert len(self.parts) == len(self.children) + 1

    def __str__(self):
        text = self.parts[0]
        for child, part in zip(self.children, self.parts[1:]):
            text += str(child) + part
        return text

    def shrinks(self):
        """Smaller programs: each child alone, then each child shrunk in place, then `.`."""
        out = list(self.children)
        for i, child in enumerate(self.children):
            for smaller in child.shrinks():
                copy = list(self.children)
                copy[i] = smaller
                out.append(Node(self.parts, copy))
        if str(self) != ".":
            out.append(Node(["."]))
        return out


def leaf(text):
    return Node([text])


class Coverage:
    """What a run drew from: builtins by name/arity, constructs by name."""

    def __init__(self):
        self.builtins = {}
        self.constructs = {}

    def builtin(self, key):
        self.builtins[key] = self.builtins.get(key, 0) + 1

    def construct(self, name):
        self.constructs[name] = self.constructs.get(name, 0) + 1


# Per builtin: the input it wants ("any", "num", "str", "arr", "obj", "arrnum", "arrstr", "arrarr",
# "date") and its arguments' kinds ("f" any filter, "num", "str", "cond", "path", "regex",
# "flags", "fmt", "int", "entries").
SIGNATURES = {
    "IN/1": ("any", ["gen"]), "IN/2": ("any", ["gen", "gen"]), "INDEX/1": ("arr", ["f"]),
    "INDEX/2": ("any", ["gen", "f"]), "JOIN/2": ("obj", ["arr", "f"]), "JOIN/3": ("obj", ["arr", "gen", "f"]),
    "JOIN/4": ("obj", ["arr", "gen", "f", "f"]),
    "add/0": ("arr", []), "add/1": ("any", ["gen"]), "all/0": ("arr", []), "all/1": ("arr", ["cond"]),
    "all/2": ("any", ["gen", "cond"]), "any/0": ("arr", []), "any/1": ("arr", ["cond"]),
    "any/2": ("any", ["gen", "cond"]), "arrays/0": ("any", []), "ascii_downcase/0": ("str", []),
    "ascii_upcase/0": ("str", []), "booleans/0": ("any", []), "bsearch/1": ("arrnum", ["num"]),
    "capture/1": ("str", ["regexnamed"]), "capture/2": ("str", ["regexnamed", "flags"]),
    "combinations/0": ("arrarr", []), "combinations/1": ("arr", ["smallint"]), "contains/1": ("any", ["f"]),
    "del/1": ("any", ["path"]), "delpaths/1": ("any", ["paths"]), "empty/0": ("any", []),
    "endswith/1": ("str", ["str"]), "error/0": ("any", []), "error/1": ("any", ["f"]),
    "explode/0": ("str", []), "first/0": ("arr", []), "first/1": ("any", ["gen"]), "flatten/0": ("arr", []),
    "flatten/1": ("arr", ["smallint"]), "format/1": ("any", ["fmtname"]), "from_entries/0": ("entries", []),
    "fromdate/0": ("datestr", []), "fromdateiso8601/0": ("datestr", []), "fromjson/0": ("jsonstr", []),
    "fromstream/1": ("any", ["stream"]), "getpath/1": ("any", ["patharr"]), "gmtime/0": ("num", []),
    "group_by/1": ("arr", ["f"]), "gsub/2": ("str", ["regex", "str"]), "gsub/3": ("str", ["regex", "str", "flags"]),
    "has/1": ("any", ["key"]), "have_decnum/0": ("any", []), "have_literal_numbers/0": ("any", []),
    "implode/0": ("codepoints", []), "in/1": ("key", ["container"]), "index/1": ("any", ["f"]),
    "indices/1": ("any", ["f"]), "infinite/0": ("any", []), "inside/1": ("any", ["f"]),
    "isempty/1": ("any", ["gen"]), "isvalid/1": ("any", ["gen"]), "iterables/0": ("any", []), "join/1": ("arr", ["str"]),
    "keys/0": ("objarr", []), "keys_unsorted/0": ("objarr", []), "last/0": ("arr", []), "last/1": ("any", ["gen"]),
    "length/0": ("any", []), "limit/2": ("any", ["int", "gen"]), "ltrimstr/1": ("any", ["str"]),
    "ltrim/0": ("str", []), "rtrim/0": ("str", []), "trim/0": ("str", []), "trimstr/1": ("any", ["str"]),
    "map/1": ("arr", ["f"]), "map_values/1": ("any", ["f"]), "match/1": ("str", ["regex"]),
    "match/2": ("str", ["regex", "flags"]), "max/0": ("arr", []), "max_by/1": ("arr", ["f"]), "min/0": ("arr", []),
    "min_by/1": ("arr", ["f"]), "mktime/0": ("brokendown", []), "nan/0": ("any", []), "not/0": ("any", []),
    "nth/1": ("arr", ["int"]), "nth/2": ("any", ["int", "gen"]), "nulls/0": ("any", []), "numbers/0": ("any", []),
    "objects/0": ("any", []), "path/1": ("any", ["path"]), "paths/0": ("any", []), "paths/1": ("any", ["cond"]),
    "pick/1": ("any", ["path"]), "range/1": ("any", ["smallint"]), "range/2": ("any", ["smallint", "smallint"]),
    "range/3": ("any", ["num", "num", "num"]), "recurse/0": ("any", []), "recurse/1": ("any", ["f"]),
    "recurse/2": ("any", ["f", "cond"]), "repeat/1": ("any", ["f"]), "reverse/0": ("any", []),
    "rindex/1": ("any", ["f"]), "rtrimstr/1": ("any", ["str"]), "scalars/0": ("any", []), "scan/1": ("str", ["regex"]),
    "scan/2": ("str", ["regex", "flags"]), "select/1": ("any", ["cond"]), "setpath/2": ("any", ["patharr", "f"]),
    "skip/2": ("any", ["int", "gen"]), "sort/0": ("arr", []), "sort_by/1": ("arr", ["f"]), "split/1": ("str", ["str"]),
    "split/2": ("str", ["regex", "flags"]), "splits/1": ("str", ["regex"]), "splits/2": ("str", ["regex", "flags"]),
    "startswith/1": ("str", ["str"]), "strftime/1": ("num", ["datefmt"]), "strptime/1": ("datestr", ["strpfmt"]),
    "strings/0": ("any", []), "sub/2": ("str", ["regex", "str"]), "sub/3": ("str", ["regex", "str", "flags"]),
    "test/1": ("str", ["regex"]), "test/2": ("str", ["regex", "flags"]), "to_entries/0": ("obj", []),
    "toboolean/0": ("boolish", []), "todate/0": ("num", []), "todateiso8601/0": ("num", []), "tojson/0": ("any", []),
    "tonumber/0": ("numstr", []), "tostream/0": ("any", []), "tostring/0": ("any", []),
    "transpose/0": ("arrarr", []), "truncate_stream/1": ("any", ["stream"]), "type/0": ("any", []),
    "unique/0": ("arr", []), "unique_by/1": ("arr", ["f"]), "until/2": ("num", ["cond", "f"]),
    "utf8bytelength/0": ("str", []), "values/0": ("any", []), "walk/1": ("any", ["f"]), "while/2": ("num", ["cond", "f"]),
    "with_entries/1": ("obj", ["f"]), "abs/0": ("num", []), "splits/0": ("str", []), "getpath/0": ("any", []),
    "tojson/1": ("any", []), "ascii/0": ("smallint", []), "significand/0": ("num", []), "gamma/0": ("num", []),
    "frexp/0": ("num", []), "modf/0": ("num", []), "logb/0": ("num", []), "lgamma_r/0": ("num", []),
    "finites/0": ("any", []), "normals/0": ("any", []), "isinfinite/0": ("num", []), "isnan/0": ("num", []),
    "isnormal/0": ("num", []), "isfinite/0": ("num", []), "error/2": ("any", ["f", "f"]),
    "getpath/2": ("any", ["patharr", "f"]), "min_by/2": ("arr", ["f", "f"]),
}
# Math builtins of one number, and of two or three.
MATH1 = ["acos", "acosh", "asin", "asinh", "atan", "atanh", "cbrt", "ceil", "cos", "cosh", "erf", "erfc", "exp",
         "exp10", "exp2", "expm1", "fabs", "floor", "gamma", "j0", "j1", "lgamma", "log", "log10", "log1p", "log2",
         "nearbyint", "rint", "round", "sin", "sinh", "sqrt", "tan", "tanh", "tgamma", "trunc", "y0", "y1"]
MATH2 = ["atan2", "copysign", "drem", "fdim", "fmax", "fmin", "fmod", "hypot", "jn", "ldexp", "nextafter",
         "nexttoward", "pow", "remainder", "scalb", "scalbln", "yn"]
for name in MATH1:
    SIGNATURES.setdefault(name + "/0", ("num", []))
for name in MATH2:
    SIGNATURES.setdefault(name + "/2", ("any", ["num", "num"]))
SIGNATURES.setdefault("fma/3", ("any", ["num", "num", "num"]))

FORMATS = ["@text", "@json", "@html", "@uri", "@csv", "@tsv", "@sh", "@base64", "@base64d", "@base32", "@base32d"]
REGEXES = ['"a"', '"[a-c]+"', '"^a"', '"b$"', '"\\\\b"', '"\\\\w+"', '"(?<x>a)(?<y>b)?"', '"."', '""', '"x*"',
           '"(a|b)"', '"\\\\s"', '"[[:upper:]]"', '"ß"', '"é"', '"^"', '"$"', '"\\\\d+"']
NAMED_REGEXES = ['"(?<x>a)(?<y>b)?"', '"(?<word>\\\\w+)"', '"(?<n>[0-9]+)?"', '"(?<all>.*)"']
FLAGS = ['"g"', '"i"', '"x"', '"n"', '"gi"', '"s"', '"l"', '"gx"', '""', '"p"']
DATE_FORMATS = ['"%Y-%m-%dT%H:%M:%SZ"', '"%A, %B %d, %Y"', '"%j %U %w"', '"%H:%M"', '"%e %b %y"', '"%s"', '"%Z"']
STRP_FORMATS = ['"%Y-%m-%dT%H:%M:%SZ"']


class Generator:
    def __init__(self, seed, builtins):
        self.r = random.Random(seed)
        self.coverage = Coverage()
        self.builtins = sorted(b for b in builtins if b not in EXCLUDED)

    # Shaping the input at hand to a type, without failing on most values.
    def shaped(self, kind):
        r = self.r
        shapes = {
            "any": ["."],
            "num": ["(numbers // length? // 1)", "(tonumber? // 2)", "length?", "(. as $x | 1.5)", "(-3)",
                    "(0.1 + 0.2)", "(1e1000)", "(-0)", "([.[]?|numbers] | length)", "(12345678901234567890)"],
            "str": ["(strings // tostring)", "tostring", "(tojson)", "(\"ab\" + (tostring))", "(\"straße\")",
                    "(\"e\\u0301x\")", "(\"😀\" + tostring)", "(type)"],
            "arr": ["[.[]?]", "[..]", "(arrays // [.])", "[paths]", "([.[]?] | reverse)", "[1, \"a\", null, [2]]",
                    "[3, 1, 2, 1]", "(tostream | [.])"],
            "arrnum": ["[.[]? | numbers]", "[3, 1, 2]", "[range(5)]", "[1, 1.5, -0, 1e1000]"],
            "arrstr": ["[.[]? | tostring]", "[\"b\", \"a\", \"ß\"]", "(keys? // [\"x\"])"],
            "arrarr": ["[[1, 2], [3]]", "[[.[]?], [1]]", "[[\"a\", \"b\"], [1, null], []]", "[[1,2],[3,4],[5,6]]"],
            "obj": ["(objects // {a: .})", "{a: 1, b: [2], c: \"x\"}", "(to_entries? | from_entries? // {})",
                    "{(tostring): .}", "{\"é\": 1, \"a\": 2, \"10\": 3}"],
            "objarr": ["(objects // arrays // [.])", "{b: 1, a: 2}", "[.]"],
            "entries": ["[{key: \"a\", value: 1}, {name: \"b\", value: 2}]", "(to_entries? // [])",
                        "[{k: \"x\", v: .}]", "[{key: 1, value: 2}, {key: null, value: 3}]"],
            "datestr": ["\"2015-03-05T23:51:47Z\"", "\"1970-01-01T00:00:00Z\"", "\"2024-02-29T12:00:00Z\""],
            "brokendown": ["(1425599507 | gmtime)", "[2015, 2, 5, 23, 51, 47, 4, 63]", "(0 | gmtime)"],
            "jsonstr": ["tojson", "\"[1, 2.50, 1e2]\"", "\"{\\\"a\\\":nan}\"", "\"nan\"", "\"1 2\"", "\"\\\"x\\\"\""],
            "numstr": ["tostring", "\"12\"", "\"1.50\"", "\"nan\"", "\"-0\"", "\" 1\"", "\"0x1\"", "\"1e1000\"",
                       "\"100000000000000000001\""],
            "codepoints": ["[65, 66]", "(explode? // [97])", "[128512, 223]", "[55296]"],
            "key": ["\"a\"", "0", "\"x\"", "1"],
            "boolish": ["\"true\"", "\"false\"", "true", "\"nope\"", "1"],
            "smallint": ["2", "3", "0", "1"],
        }
        return r.choice(shapes.get(kind, ["."]))

    def arg(self, kind, depth):
        r = self.r
        if kind == "f":
            return self.filter(depth + 1)
        if kind == "gen":
            return r.choice([Node(["", ", ", ""], [self.filter(depth + 1), self.filter(depth + 1)]),
                             leaf(".[]?"), leaf("range(3)"), leaf("empty"), self.filter(depth + 1)])
        if kind == "cond":
            return r.choice([leaf(". > 1"), leaf("type == \"number\""), leaf(". == null"), leaf("true"),
                             leaf("length? > 1"), Node(["(", " | not)"], [self.filter(depth + 1)]), leaf(". < 100")])
        if kind == "num":
            return leaf(r.choice(["1", "2", "0.5", "-1", "0", "3", "1e1000", "-0", "10"]))
        if kind in ("int", "smallint"):
            return leaf(r.choice(["0", "1", "2", "3", "-1"]))
        if kind == "str":
            return leaf(json.dumps(r.choice(STRINGS)))
        if kind == "key":
            return leaf(r.choice(['"a"', "0", '"x"', "1"]))
        if kind == "path":
            return leaf(r.choice([".a", ".[0]", ".a.b", ".[]?", ".[1:]", "..", ".a?", "first(.[]?)", "last",
                                  ".[-1]", "getpath([\"a\", 0])", ".x // .y", "if . then .a else .b end"]))
        if kind == "patharr":
            return leaf(r.choice(['["a"]', "[0]", '["a", 0]', "[]", '["x", "y"]', "[-1]", '[{"start": 1}]']))
        if kind == "paths":
            return leaf(r.choice(['[["a"]]', "[[0], [1]]", "[[]]", '[["a", "b"], ["a"]]', "[paths]"]))
        if kind == "regex":
            return leaf(r.choice(REGEXES))
        if kind == "regexnamed":
            return leaf(r.choice(NAMED_REGEXES))
        if kind == "flags":
            return leaf(r.choice(FLAGS))
        if kind == "fmtname":
            return leaf(r.choice(['"text"', '"json"', '"csv"', '"base64"', '"uri"', '"sh"', '"html"']))
        if kind == "datefmt":
            return leaf(r.choice(DATE_FORMATS))
        if kind == "strpfmt":
            return leaf(r.choice(STRP_FORMATS))
        if kind == "stream":
            return leaf(r.choice(["tostream", "(1 | truncate_stream([[0], 1], [[1, 0], 2]))", ".[]?", "inputs?"]))
        if kind == "arr":
            return leaf(r.choice(["[{a: 1}, {a: 2}]", "[.]", "[]"]))
        if kind == "container":
            return leaf(r.choice(['{"a": 1}', "[1, 2]", "{}"]))
        return self.filter(depth + 1)

    def call(self, depth):
        key = self.r.choice(self.builtins)
        self.coverage.builtin(key)
        name, arity = key.rsplit("/", 1)
        wants, kinds = SIGNATURES.get(key, ("any", ["f"] * int(arity)))
        if len(kinds) != int(arity):
            kinds = ["f"] * int(arity)
        args = [self.arg(kind, depth) for kind in kinds]
        if args:
            parts = [self.shaped(wants) + " | " + name + "("] + ["; "] * (len(args) - 1) + [")"]
            return Node(parts, args)
        return leaf(self.shaped(wants) + " | " + name)

    def filter(self, depth=0):
        r = self.r
        if depth > 3:
            return self.small()
        roll = r.random()
        if roll < 0.35:
            return self.call(depth)
        construct = r.choice(CONSTRUCTS)
        self.coverage.construct(construct)
        f = lambda: self.filter(depth + 1)
        if construct == "pipe":
            return Node(["", " | ", ""], [f(), f()])
        if construct == "comma":
            return Node(["", ", ", ""], [f(), f()])
        if construct == "alternative":
            return Node(["(", " // ", ")"], [f(), f()])
        if construct == "try":
            return Node(["try (", ")"], [f()])
        if construct == "try-catch":
            return Node(["try (", ") catch (", ")"], [f(), f()])
        if construct == "optional":
            return Node(["(", ")?"], [f()])
        if construct == "if":
            return Node(["if ", " then ", " elif ", " then ", " else ", " end"], [f(), f(), f(), f(), f()])
        if construct == "if-no-else":
            return Node(["if ", " then ", " end"], [f(), f()])
        if construct == "reduce":
            return Node(["reduce (", ") as $x (", "; . + [$x])"], [f(), leaf(r.choice(["[]", "null"]))])
        if construct == "reduce-sum":
            return Node(["reduce (.[]? | numbers) as $n (0; . + $n)"])
        if construct == "foreach":
            return Node(["[foreach (", ") as $x (0; . + 1; [$x, .])]"], [f()])
        if construct == "foreach-2":
            return Node(["[foreach (", ") as $x (null; $x)]"], [f()])
        if construct == "limit":
            return Node(["[limit(" + r.choice(["0", "1", "2", "-1"]) + "; ", ")]"], [f()])
        if construct == "first-last":
            return Node(["[first(", "), last(", ")]"], [f(), f()])
        if construct == "until":
            return leaf(r.choice(["[1 | until(. > 100; . * 2)]", "(0 | until(. >= 3; . + 1))",
                                  "[.[]? | numbers | until(. > 10; . + 3)]"]))
        if construct == "label-break":
            return Node(["[label $out | ", " | ., break $out]"], [f()])
        if construct == "def":
            return Node(["(def f: ", "; [f, (", " | f)])"], [f(), f()])
        if construct == "def-params":
            return Node(["(def g(h; $v): [h, $v]; g(", "; ", "))"], [f(), f()])
        if construct == "def-recursive":
            return leaf("(def fac: if . <= 1 then 1 else . * (. - 1 | fac) end; [range(6) | fac])")
        if construct == "as":
            return Node(["(", ") as $v | [$v, ", "]"], [f(), f()])
        if construct == "destructure":
            return Node(["(", ") as [$a, $b] | [$a, $b]"], [f()])
        if construct == "destructure-object":
            return Node(["(", ") as {a: $a, $b} | [$a, $b]"], [f()])
        if construct == "destructure-alt":
            return Node(["(", ") as [$a] ?// {a: $a} ?// $a | [$a]"], [f()])
        if construct == "interpolation":
            return Node(['"<\\(', ')|\\(', ')>"'], [f(), f()])
        if construct == "format-string":
            return Node([r.choice(FORMATS) + ' "x\\(', ')y"'], [f()])
        if construct == "format":
            return Node(["(", ") | " + r.choice(FORMATS)], [f()])
        if construct == "object":
            return Node(["{a: (", "), (", "|tostring): 1, b: .}"], [f(), f()])
        if construct == "object-shorthand":
            return leaf(r.choice(["{a, b}", "{$__loc__}", "{\"x\": 1} | {x}", "{(.[]?|strings): 1}", "{a: .[]?}"]))
        if construct == "array":
            return Node(["[", "]"], [f()])
        if construct == "index":
            return Node(["(", ")" + r.choice([".a", "[0]", "[1:]", "[:-1]", ".[]?", "[\"a\"]?", "[-1]", "[1.5]",
                                                   "[null:2]", ".a.b", "..?"])], [f()])
        if construct == "arith":
            op = r.choice(["+", "-", "*", "/", "%"])
            return Node(["(", ") " + op + " (", ")"], [f(), f()])
        if construct == "compare":
            op = r.choice(["==", "!=", "<", "<=", ">", ">="])
            return Node(["(", ") " + op + " (", ")"], [f(), f()])
        if construct == "logic":
            op = r.choice(["and", "or"])
            return Node(["(", ") " + op + " (", ")"], [f(), f()])
        if construct == "negate":
            return Node(["-(", ")"], [f()])
        if construct == "assign":
            op = r.choice(["=", "|=", "+=", "-=", "*=", "/=", "%=", "//="])
            target = r.choice([".a", ".[0]", ".[]?", ".a.b", "..", ".[1:]", "last", "first(.[]?)", ".x?", "empty"])
            return Node(["(", ") | " + target + " " + op + " (", ")"], [f(), f()])
        if construct == "paths":
            return Node(["[", " | paths(", ")]"], [leaf(self.shaped("obj")), self.arg("cond", depth)])
        if construct == "path-ops":
            return leaf(r.choice(["[paths]", "[paths(scalars)]", "[path(..)]", "[tostream]", "fromstream(tostream)",
                                  "getpath([\"a\",\"b\"])", "setpath([\"a\", 0]; 1)", "delpaths([[\"a\"]])",
                                  "pick(.a)", "pick(.[1]?)", "to_entries?", "del(.[0]?, .a?)", "[splits(\"a\")?]"]))
        if construct == "string-ops":
            return Node(["(", ") | tostring | " + r.choice(["ascii_downcase", "explode", "length", "utf8bytelength",
                                                            ".[1:3]", "split(\"\")", "test(\"\\\\w\")",
                                                            "[match(\"\"; \"g\") | .offset]",
                                                            "gsub(\"\\\\b\"; \"|\")", "gsub(\"^\"; \">\")",
                                                            "sub(\"$\"; \"!\")", "ltrimstr(\"a\")", "@json",
                                                            "[scan(\"(.)\")]", "implode?"])], [f()])
        if construct == "dates":
            return leaf(r.choice(["1425599507 | todate", "\"2015-03-05T23:51:47Z\" | fromdate",
                                  "1425599507 | gmtime | mktime", "0 | strftime(\"%Y %j %a\")",
                                  "1425599507.9 | todate", "\"10:15\" | strptime(\"%H:%M\")? // \"no\"",
                                  "-1 | todate", "1e10 | gmtime", "1425599507 | gmtime | todate"]))
        if construct == "tonumber-special":
            return leaf(r.choice(["\"nan\" | tonumber", "[\"nan\", \"1\"] | map(tonumber) | sort",
                                  "[nan, 1, null] | sort", "[nan] | min", "nan < 1", "[1, nan] | max",
                                  "infinite | tostring", "[infinite, -infinite] | tojson", "nan | isnan",
                                  "-0 | tostring", "[.[]?] | sort_by(-.)?"]))
        if construct == "getpath-optional":
            return Node(["(", ") | getpath([\"a\", 0])?"], [f()])
        if construct == "loc":
            return leaf("$__loc__")
        if construct == "builtins-count":
            return leaf("builtins | length")
        if construct == "ltrimstr-etc":
            return leaf(r.choice(["\"abc\" | ltrimstr(\"a\")", "1 | ltrimstr(\"a\")", "\"abc\" | trimstr(\"c\")"]))
        if construct == "recurse":
            return leaf(r.choice(["[recurse]", "[recurse(.[]?; . != 3)]", "[..] | length", "[recurse(if . < 3 then . + 1 else empty end)]?"]))
        return self.small()

    def small(self):
        r = self.r
        return leaf(r.choice([".", ".a", ".[0]", ".[]?", "1", "\"s\"", "null", "[]", "{}", "length?", "type",
                              "-1", "0.5", "keys?", "tostring", "not", "true", "[.]", "(.a // 0)", ".. | numbers",
                              "\"ß\"", "1e1000", "-0"]))


CONSTRUCTS = [
    "pipe", "comma", "alternative", "try", "try-catch", "optional", "if", "if-no-else", "reduce", "reduce-sum",
    "foreach", "foreach-2", "limit", "first-last", "until", "label-break", "def", "def-params", "def-recursive",
    "as", "destructure", "destructure-object", "destructure-alt", "interpolation", "format-string", "format",
    "object", "object-shorthand", "array", "index", "arith", "compare", "logic", "negate", "assign", "paths",
    "path-ops", "string-ops", "dates", "tonumber-special", "getpath-optional", "loc", "builtins-count",
    "ltrimstr-etc", "recurse",
]
