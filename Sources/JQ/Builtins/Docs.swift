/// One-line help for jq's builtins (`help select`), with their forms. nwsh's own functions
/// (`role`, `plan`) are documented by whoever registers them (``Session/document(function:_:)``).
enum BuiltinDocs {
  static let entries: [String: String] = [
    "IN":
      "IN(s): whether the input is one of the outputs of s; IN(source; s): whether any output of source is one of s",
    "INDEX": "INDEX(f): an object of the input's elements keyed by f; INDEX(stream; f): the same over a stream",
    "JOIN":
      "JOIN($idx; f): each element paired with $idx[f] ([row, match]); JOIN($idx; stream; f; g): over a stream, then g",
    "abs": "abs: the absolute value of a number",
    "add":
      "add: the sum (or concatenation, or merge) of an array's elements; add(f): of f's outputs. As a stage, `| add` is this, never the API (the command is add-users)",
    "all": "all, all(f), all(gen; f): whether every element (or f of every element) is true",
    "any": "any, any(f), any(gen; f): whether some element (or f of some element) is true",
    "arrays":
      "arrays: the input if it is an array, else nothing (also objects, strings, numbers, booleans, nulls, iterables, scalars, values)",
    "ascii_downcase": "ascii_downcase: the string with A–Z lower-cased",
    "ascii_upcase": "ascii_upcase: the string with a–z upper-cased",
    "builtins": "builtins: every builtin as name/arity",
    "capture": "capture(re; flags): an object of the named groups of the first match",
    "ceil": "ceil: the smallest whole number not below the input (also floor, round, trunc)",
    "combinations": "combinations, combinations(n): every combination of one element from each array",
    "contains": "contains(b): whether the input contains b (substrings, sub-arrays, sub-objects)",
    "debug": "debug, debug(msg): passes the input on, writing [\"DEBUG:\", value] to stderr",
    "del": "del(path): the input without the paths path selects",
    "delpaths": "delpaths(paths): the input without the given paths",
    "empty": "empty: no output at all",
    "endswith": "endswith(s): whether the string ends with s",
    "env": "env, $ENV: the environment as an object (nwsh shows secret variables as <redacted>)",
    "input":
      "input: the next value of the program's input (standard input or the files named after -c), as jq's; "
      + "inputs: all the rest. Not in a program that also uses read",
    "inputs": "inputs: every remaining value of the program's input, one output each (see input)",
    "input_filename": "input_filename: the file the current row was read from; null for standard input",
    "modulemeta":
      "modulemeta: a module's metadata, deps (its imports) and defs, by its name (\"lib/util\" | modulemeta)",
    "get_search_list": "get_search_list: the library directories modules are looked for in (-L, else jq's defaults)",
    "get_prog_origin": "get_prog_origin: the directory of the program being run (what . means in its imports)",
    "get_jq_origin": "get_jq_origin: the directory of the nwsh executable ($ORIGIN in a search path)",
    "input_line_number": "input_line_number: the line the current row started on in its input",
    "error": "error, error(msg): raise an error (caught by try)",
    "explode": "explode: the string's code points as numbers (implode goes back)",
    "first": "first: the first element; first(f): f's first output",
    "flatten": "flatten, flatten(depth): nested arrays flattened",
    "floor": "floor: the largest whole number not above the input",
    "format": "format(name): @name applied to the input, e.g. format(\"csv\")",
    "from_entries": "from_entries: an object from [{key, value}] (also name/k/v keys)",
    "fromjson": "fromjson: the JSON value a string holds",
    "getpath": "getpath(path): the value at path (an array of keys)",
    "group_by": "group_by(f): the array's elements grouped into arrays by f, sorted",
    "gsub": "gsub(re; s), gsub(re; s; flags): every match of re replaced by s",
    "halt": "halt: stop the program with exit 0",
    "halt_error": "halt_error, halt_error(code): stop, printing the input to stderr",
    "has": "has(key): whether the object has key (or the array that index)",
    "implode": "implode: a string from code points",
    "in": "in(obj): whether the input is a key of obj",
    "index": "index(s): the first index of s in the input (rindex: the last; indices: all)",
    "inside": "inside(b): whether b contains the input",
    "isempty": "isempty(f): whether f has no outputs",
    "join":
      "join(sep): the array's strings joined with sep. As a stage with flags, join is the command that matches rows (help join)",
    "keys": "keys: an object's keys, sorted (keys_unsorted: in order); an array's indices",
    "last": "last: the last element; last(f): f's last output",
    "length": "length: a string's characters, an array's or object's size, a number's absolute value, null's 0",
    "limit": "limit(n; f): f's first n outputs",
    "ltrimstr": "ltrimstr(s): the string without the prefix s (rtrimstr: without the suffix)",
    "trimstr": "trimstr(s): the string without the prefix s and then without the suffix s",
    "bsearch": "bsearch(x): the index of x in a sorted array, or (-1 - the index it would go at)",
    "map": "map(f): [.[] | f]. As a stage, `map EXPR` (with a space) is the command that replaces each row",
    "map_values": "map_values(f): each value of an array or object replaced by f's first output",
    "match": "match(re; flags): the matches of re, with offsets and groups",
    "max": "max, min: the largest or smallest element; max_by(f), min_by(f): by f",
    "not": "not: the negation of the input's truth",
    "now": "now: the time in seconds since the epoch",
    "todate":
      "todate: seconds since the epoch as \"2015-03-05T23:51:47Z\" (also todateiso8601, date); fromdate: the reverse",
    "fromdate": "fromdate: \"2015-03-05T23:51:47Z\" as seconds since the epoch (also fromdateiso8601)",
    "gmtime":
      "gmtime: seconds since the epoch as [year, month 0-11, day, hours, minutes, seconds, weekday, yearday], UTC (localtime: in TZ)",
    "mktime": "mktime: a broken down time (gmtime's array) as seconds since the epoch, UTC",
    "strftime":
      "strftime(fmt): seconds or a broken down time formatted, UTC, as C's strftime (%Y-%m-%d, %H:%M, %A…); strflocaltime: in TZ",
    "strptime": "strptime(fmt): a string parsed by C's strptime into a broken down time (then mktime for seconds)",
    "nth": "nth(n): the nth element; nth(n; f): f's nth output",
    "path": "path(f): the paths f selects, as arrays of keys",
    "paths": "paths, paths(f): every path in the input (paths(scalars): to scalars)",
    "pick": "pick(path): an object with only the given path",
    "range": "range(n), range(from; to), range(from; to; step): numbers",
    "recurse": "recurse, recurse(f), recurse(f; cond), ..: the input and everything under it",
    "repeat": "repeat(f): the input, f of it, f of that…",
    "reverse": "reverse: the array (or string) reversed",
    "scan": "scan(re), scan(re; flags): every match of re",
    "select": "select(f): the input if f is true, else nothing (the where command does this for rows)",
    "setpath": "setpath(path; v): the input with v at path",
    "skip": "skip(n; f): f's outputs after the first n. As a stage, `skip N` is the command that drops rows",
    "sort": "sort: the array sorted in jq's order; sort_by(f): by f",
    "split": "split(s): the string split on s; split(re; flags): on a regex",
    "splits": "splits(re), splits(re; flags): the parts between matches",
    "sqrt": "sqrt: the square root (and pow, log, exp, sin, cos… as in C's math library)",
    "startswith": "startswith(s): whether the string starts with s",
    "sub": "sub(re; s), sub(re; s; flags): the first match of re replaced by s",
    "test": "test(re), test(re; flags): whether the string matches re",
    "to_entries": "to_entries: an object as [{key, value}]; with_entries(f) maps over them",
    "tojson": "tojson: the input as JSON text",
    "tonumber": "tonumber: the number a string spells",
    "tostring": "tostring: a string as is, anything else as JSON text",
    "transpose": "transpose: an array of arrays transposed",
    "trim": "trim, ltrim, rtrim: the string without white space at both ends (or one)",
    "type": "type: null, boolean, number, string, array or object",
    "unique": "unique: the array sorted without duplicates; unique_by(f): by f",
    "until": "until(cond; f): apply f until cond is true",
    "utf8bytelength": "utf8bytelength: the string's length in UTF-8 bytes",
    "walk": "walk(f): f applied to every value, bottom up",
    "while": "while(cond; f): the input, f of it…, while cond holds",
    "with_entries": "with_entries(f): to_entries | map(f) | from_entries",
  ]

  /// Help for builtin `name`, when it is one.
  static func text(for name: String) -> String? {
    guard Builtins.isBuiltinName(name) else { return nil }
    let forms = Builtins.names(of: name)
    let summary = entries[name] ?? "\(name): a jq builtin"
    return "\(summary)\n  forms: \(forms.joined(separator: ", "))\n  jq's manual: https://jqlang.org/manual/#\(name)\n"
  }
}
