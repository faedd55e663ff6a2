/// Builtins defined in jq itself. Each is parsed the first time it is called.
enum Prelude {
  static let definitions: [String: String] = {
    var table: [String: String] = [:]
    for line in source.split(separator: "\n") where line.hasPrefix("def ") {
      let header = line.dropFirst(4).prefix { $0 != ":" }
      let name = header.prefix { $0 != "(" }
      let arity = header.contains("(") ? header.filter { $0 == ";" }.count + 1 : 0
      table["\(name)/\(arity)"] = String(line)
    }
    return table
  }()

  private static let source = #"""
    def map(f): [.[] | f];
    def select(f): if f then . else empty end;
    def recurse(f; cond): def r: ., (f | select(cond) | r); r;
    def values: select(. != null);
    def nulls: select(. == null);
    def booleans: select(type == "boolean");
    def numbers: select(type == "number");
    def strings: select(type == "string");
    def arrays: select(type == "array");
    def objects: select(type == "object");
    def iterables: select(type | . == "array" or . == "object");
    def scalars: select(type | . != "array" and . != "object");
    def map_values(f): .[] |= f;
    def with_entries(f): to_entries | map(f) | from_entries;
    def paths: path(..) | select(length > 0);
    def paths(node_filter): path(.. | select(node_filter)) | select(length > 0);
    def del(f): delpaths([path(f)]);
    def any(generator; condition): isempty(first(generator | condition or empty)) | not;
    def all(generator; condition): isempty(first(generator | condition and empty));
    def any(condition): any(.[]; condition);
    def all(condition): all(.[]; condition);
    def any: any(.[]; .);
    def all: all(.[]; .);
    def in(xs): . as $x | xs | has($x);
    def inside(xs): . as $x | xs | contains($x);
    def combinations: if length == 0 then [] else .[0][] as $x | (.[1:] | combinations) as $w | [$x] + $w end;
    def combinations(n): . as $dot | [range(n)] | map($dot) | combinations;
    def walk(f): def w: if type == "object" then map_values(w) elif type == "array" then map(w) else . end | f; w;
    def transpose: if . == [] then [] else . as $in | (map(length) | max) as $max | [range(0; $max) as $j | [range(0; $in | length) as $i | $in[$i][$j]]] end;
    def first: .[0];
    def last: .[-1];
    def nth($n): .[$n];
    def nth($n; f): if $n < 0 then error("nth doesn't support negative indices") else first(skip($n; f)) end;
    def splits($re): splits($re; null);
    def splits($re; flags): split($re; flags) | .[];
    def sub($re; str): sub($re; str; "");
    def gsub($re; str): sub($re; str; "g");
    def gsub($re; str; $flags): sub($re; str; $flags + "g");
    def scan($re): scan($re; null);
    def scan($re; $flags): match($re; "g" + $flags) | if (.captures | length > 0) then [.captures | .[] | .string] else .string end;
    def capture($val): ($val | type) as $vt | if $vt == "string" then capture($val; null) elif $vt == "array" and ($val | length) > 1 then capture($val[0]; $val[1]) elif $vt == "array" and ($val | length) > 0 then capture($val[0]; null) else error($vt + " not a string or array") end;
    def capture(re; mods): match(re; mods) | reduce (.captures | .[] | select(.name != null) | {(.name): .string}) as $pair ({}; . + $pair);
    def test($val): ($val | type) as $vt | if $vt == "string" then test($val; null) elif $vt == "array" and ($val | length) > 1 then test($val[0]; $val[1]) elif $vt == "array" and ($val | length) > 0 then test($val[0]; null) else error($vt + " not a string or array") end;
    def match($val): ($val | type) as $vt | if $vt == "string" then match($val; null) elif $vt == "array" and ($val | length) > 1 then match($val[0]; $val[1]) elif $vt == "array" and ($val | length) > 0 then match($val[0]; null) else error($vt + " not a string or array") end;
    def tostream: path(def r: (.[]? | r), .; r) as $p | getpath($p) | reduce path(.[]?) as $q ([$p, .]; [$p + $q]);
    def fromstream(f): {x: null, e: false} as $init | foreach f as $i ($init; if .e then $init else . end | if $i | length == 2 then setpath(["e"]; $i[0] | length == 0) | setpath(["x"] + $i[0]; $i[1]) else setpath(["e"]; $i[0] | length == 1) end; if .e then .x else empty end);
    def truncate_stream(stream): . as $n | null | stream | . as $input | if (.[0] | length) > $n then setpath([0]; .[0][$n:]) else empty end;
    def until(cond; update): def _until: if cond then . else (update | _until) end; _until;
    def while(cond; update): def _while: if cond then ., (update | _while) else empty end; _while;
    def finites: select(isfinite);
    def normals: select(isnormal);
    def add(f): reduce f as $x (null; . + $x);
    def IN(s): any(s == .; .);
    def IN(src; s): any(src == s; .);
    def INDEX(stream; idx_expr): reduce stream as $row ({}; .[$row | idx_expr | tostring] |= $row);
    def INDEX(idx_expr): INDEX(.[]; idx_expr);
    def JOIN($idx; idx_expr): [.[] | [., $idx[idx_expr]]];
    def JOIN($idx; stream; idx_expr): stream | [., $idx[idx_expr]];
    def JOIN($idx; stream; idx_expr; join_expr): stream | [., $idx[idx_expr]] | join_expr;
    def trimstr($val): ltrimstr($val) | rtrimstr($val);
    def pick(pathexps): . as $top | reduce path(pathexps) as $p (null; setpath($p; $top | getpath($p)));
    def debug(msg): (msg | debug | empty), .;
    def abs: if . < 0 then -. else . end;
    def have_literal_numbers: true;
    def have_decnum: true;
    def halt_error: halt_error(5);
    def todateiso8601: strftime("%Y-%m-%dT%H:%M:%SZ");
    def fromdateiso8601: strptime("%Y-%m-%dT%H:%M:%SZ") | mktime;
    def todate: todateiso8601;
    def fromdate: fromdateiso8601;
    def min_by(f): _min_by(map([f]));
    def max_by(f): _max_by(map([f]));
    def unique_by(f): [group_by(f)[] | .[0]];
    def skip($n; f): if $n > 0 then foreach f as $x ($n + 1; . - 1; if . <= 0 then $x else empty end) elif $n == 0 then f else error("skip doesn't support negative count") end;
    """#
}
