import JQ
import Testing

/// Each root cause the differential test against jq 1.8.2 found (`scripts/jq-differential`),
/// kept as a case: the program, its input, and jq 1.8.2's outputs (recorded from libjq 1.8.2,
/// PyPI `jq` 1.13.0), compared as `tojson` text so number spelling counts.
@Suite("jq 1.8.2's answers, where nwsh once answered otherwise")
struct DifferentialRegressionTests {
  struct Case: CustomTestStringConvertible, Sendable {
    let name: String
    let program: String
    let input: String
    let outputs: [String]

    init(_ name: String, program: String, input: String, outputs: [String]) {
      self.name = name
      self.program = program
      self.input = input
      self.outputs = outputs
    }

    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(
      "math: the functions jq 1.8 has",
      program: #"[1.5|acosh,asinh,erf,erfc,j0,j1,y0,y1], [0.5|atanh], [1.5,0,-3.75|frexp,modf], [-0.5,2.5|lgamma_r]"#,
      input: #"null"#,
      outputs: [
        #"[0.9624236501192069,1.1947632172871094,0.9661051464753108,0.033894853524689274,0.5118276717359181,0.5579365079100996,0.38244892379775897,-0.4123086269739113]"#,
        #"[0.5493061443340548]"#, #"[[0.75,1],[0.5,1],[0,0],[0,0],[-0.9375,2],[-0.75,-3]]"#,
        #"[[1.2655121234846454,-1],[0.2846828704729192,1]]"#,
      ]),
    Case(
      "math: two and three numbers, the last argument outermost",
      program:
        #"[copysign(1,2;3,-4)], [drem(10;3), fdim(5;3), fmod(-7;3), hypot(3;4), ldexp(3;2.7), nextafter(1;2), nexttoward(1;0), remainder(10;3), scalb(3;2), scalbln(3;2.7)], [fma(1,2;3,4;5,6)], [pow(1,2;3,4)]"#,
      input: #"null"#,
      outputs: [
        #"[1,2,-1,-2]"#, #"[1,2,-1,5,12,1.0000000000000002,0.9999999999999999,1,12,12]"#, #"[8,11,9,13,9,12,10,14]"#,
        #"[1,8,1,16]"#,
      ]),
    Case(
      "math: a C integer out of range, a fractional scalb",
      program: #"[ldexp(1;1e10), scalbln(1;1e30), scalb(3;2.5), jn(2.7;1.5) == jn(2;1.5)]"#,
      input: #"null"#,
      outputs: [#"[0,0,null,true]"#]),
    Case(
      "math: not a number",
      program: #"[try copysign("a";1) catch ., try ("a"|frexp) catch ., try fma(1;2;"x") catch .]"#,
      input: #"null"#,
      outputs: [
        #"["string (\"a\") number required","string (\"a\") number required","string (\"x\") number required"]"#
      ]),
    Case(
      "isinfinite, isnan, isnormal, isfinite: false for anything but a number",
      program: #"[.[] | [isinfinite, isnan, isnormal, isfinite]]"#,
      input: #"[1, "a", null, 1e1000]"#,
      outputs: [
        #"[[false,false,true,true],[false,false,false,false],[false,false,false,false],[true,false,false,false]]"#
      ]),
    Case(
      "-: a literal zero negates to a positive zero, a computed one to -0",
      program:
        #"[-0, 0 * -1, -(0), (0|-.), -0.0, -0e5, -(-0), ("0"|tonumber|-.), (1/-1e1000), ((0*1)|-.)], [.[] | -.]"#,
      input: #"[0, 0.0, -0, 1.50]"#,
      outputs: [#"[0,-0,0,0,0.0,0E+5,0,0,-0,-0]"#, #"[0,0.0,0,-1.50]"#]),
    Case(
      "tonumber: text that is not JSON keeps decNumber's spelling",
      program: #"["+1.50",".5","5.","007","1.e2","-.5e1","+0","00"] | map(tonumber | [., -.])"#,
      input: #"null"#,
      outputs: [#"[[1.50,-1.50],[0.5,-0.5],[5,-5],[7,-7],[1E+2,-1E+2],[-5,5],[0,0],[0,0]]"#]),
    Case(
      "//: an error on the left is raised",
      program: #"[try (.a // 1) catch ., try ((null, error("x")) // 2) catch ., ((null, false) // 3), (empty // 4)]"#,
      input: #"[1]"#,
      outputs: [#"["Cannot index array with string (\"a\")","x",3,4]"#]),
    Case(
      "getpath: null on the way is null, anything else indexes as . does",
      program: #"[try getpath(["a",0]) catch ., getpath(["x","y"]), try getpath([0]) catch .]"#,
      input: #"{"a":"s"}"#,
      outputs: [#"["Cannot index string with number (0)",null,"Cannot index object with number (0)"]"#]),
    Case(
      "regex: ^ and $ at the text's ends; s changes nothing; p lets . match a newline",
      program: #""a\nb" | [test("^b"), test("a$"), test("a.b"), test("^b";"s"), test("a.b";"s"), test("a.b";"p")]"#,
      input: #"null"#,
      outputs: [#"[false,false,false,false,false,true]"#]),
    Case(
      "regex: \\b between a word character and another; g finds each in the whole text",
      program:
        #"[("{}" | test("\\b")), ("ab cd" | [match("\\b";"g") | .offset]), ("aé b" | [match("\\b";"g") | .offset]), ("x\ny" | [match("^";"g") | .offset]), ("aé" | gsub("\\b";"|"))]"#,
      input: #"null"#,
      outputs: [#"[false,[0,2,3,5],[0,2,3,4],[0],"|aé|"]"#]),
    Case(
      "string interpolation: the last interpolation outermost, its error first",
      program: #"["\(1,2)-\(3,4)"], (try "\(error("a"))\(error("b"))" catch .)"#,
      input: #"null"#,
      outputs: [#"["1-3","2-3","1-4","2-4"]"#, #""b""#]),
    Case(
      "from_entries: key, Key, name or Name, a string; value or Value",
      program: #"[.[] | try from_entries catch .]"#,
      input:
        #"[[{"key":0,"value":1}], [{"k":"a","v":1}], [{"name":"n","value":2}], [{"Key":"K","Value":3}], [{"key":"x"}]]"#,
      outputs: [
        #"["Cannot use number (0) as object key","Cannot use null (null) as object key",{"n":2},{"K":3},{"x":null}]"#
      ]),
    Case(
      "@base32: not a format jq has",
      program: #"[try @base32 catch ., try ("x\(.)" | @base32d) catch .]"#,
      input: #""foo""#,
      outputs: [#"["base32 is not a valid format","base32d is not a valid format"]"#]),
    Case(
      "assignments: = and op= evaluate the right side first",
      program: #"[.a.b *= (.[]?)], [try (.a = 1) catch .], [.[]? += (1,2)]"#,
      input: #""abc""#,
      outputs: [#"[]"#, #"["Cannot index string with string (\"a\")"]"#, #"["abc","abc"]"#]),
    Case(
      "slices: jq's parse_slice (missing bounds, non-numbers, strings, the index object in messages)",
      program:
        #"[(try ("abc"|.[{"start":1}]) catch .), ("abc"|.[{"start":1,"end":null}]), (try ([1,2]|.["a":]) catch .), (try (1|.[1:]) catch .), (try ({}|.[:2]) catch .), ([1,2,3]|[.[0,1:2,3]]), (try ("abc"|.[{"start":1,"end":2}] = "x") catch .), (try (null|.[null]) catch .)]"#,
      input: #"null"#,
      outputs: [
        #"["Array/string slice indices must be integers","bc","Array/string slice indices must be integers","Cannot index number with object ({\"start\":1,\"end\":null})","Cannot index object with object ({\"start\":null,\"end\":2})",[[1,2],[1,2,3],[2],[2,3]],"Cannot update string slices","Cannot index null with null (null)"]"#
      ]),
    Case(
      "deletions: from the array as it was; nothing under a path deleted whole; jq's words",
      program:
        #"[([1,2,3]|delpaths([[{"start":0,"end":1}],[2]])), (try ("  "|delpaths([["a","b"],["a"]])) catch .), (try ([1]|delpaths([["a"]])) catch .), (try ({}|delpaths([[0]])) catch .), (try (1|delpaths([[0]])) catch .), (try ({}|delpaths([1])) catch .)]"#,
      input: #"null"#,
      outputs: [
        #"[[2],"Cannot delete fields from string","Cannot delete string element of array","Cannot delete number field of object","Cannot delete fields from number","Path must be specified as array, not number"]"#
      ]),
    Case(
      "regex: f_match's order of checks, Oniguruma's words, test/match/capture of an array",
      program:
        #"[(try ("x"|test([1])) catch .), (try ("x"|test([])) catch .), (try ("x"|match(null)) catch .), ("x"|test(["X","i"])), (try ("x"|test("(")) catch .), (try ("x"|test("a{2,1}")) catch .), (try ("x"|test("[]")) catch .), (try ("x"|test("(?P<a>x)")) catch .), (try ("a,b"|splits(",";1)) catch .), (try ("ab"|[scan("a";false)]) catch .), ("a\nb"|test("a.b";"m"))]"#,
      input: #"null"#,
      outputs: [
        #"["number (1) is not a string","array not a string or array","null not a string or array",true,"Regex failure: end pattern with unmatched parenthesis","Regex failure: upper is smaller than lower in repeat range","Regex failure: empty char-class","Regex failure: undefined group option","number (1) and string (\"g\") cannot be added","string (\"g\") and boolean (false) cannot be added",true]"#
      ]),
    Case(
      "regex: capture objects in jq's key order; sub's results one per output of the replacement",
      program:
        #"[("ab"|[match("(?<x>a)|(?<y>b)";"g")|.captures]), ("ab"|[match("(?<x>)";"g")|.captures]), ("abab"|[sub("a"; "1","2"; "g")]), ("aaa"|[sub("a"; empty; "g")]), (try ("x"|sub("x";1)) catch .)]"#,
      input: #"null"#,
      outputs: [
        #"[[[{"offset":0,"length":1,"string":"a","name":"x"},{"offset":-1,"string":null,"length":0,"name":"y"}],[{"offset":-1,"string":null,"length":0,"name":"x"},{"offset":1,"length":1,"string":"b","name":"y"}]],[[{"offset":0,"string":"","length":0,"name":"x"}],[{"offset":1,"string":"","length":0,"name":"x"}],[{"offset":2,"string":"","length":0,"name":"x"}]],["1b1b","2b2b"],["aaa"],"string (\"\") and number (1) cannot be added"]"#
      ]),
    Case(
      "regex: \\b around digits and \\w over combining marks, as Oniguruma has them",
      program:
        #"["[1,12]"|gsub("\\b";"|"), ("e\u0301x_1"|[match("\\w+";"g").string]), ("a-b 1"|[match("\\W";"g").offset])]"#,
      input: #"null"#,
      outputs: [#"["[|1|,|12|]",["éx_1"],[1,3]]"#]),
    Case(
      "join, indices, index, rindex, reverse as jq 1.8 defines them",
      program:
        #"[([1,2]|join(null)), (try ([1,2]|join(1)) catch .), ({"a":"x","b":"y"}|join(",")), ("a"|indices("")), ({}|indices("a")), (try ("abc"|index(1)) catch .), ("abc"|rindex("")), ([1,null]|indices(null)), (try ("abc"|reverse) catch .), (try (0.1|reverse) catch .), (null|reverse), ([3,1]|bsearch(1))]"#,
      input: #"null"#,
      outputs: [
        #"["12","string (\"1\") and number (1) cannot be added","x,y",[],null,"Cannot index string with number (1)",null,[1],"Cannot index string with number (2)","Cannot index number with number (-0.9)",[],1]"#
      ]),
    Case(
      "sorting and extremes: map's and the sort's errors, minmax's words, NaN below every number",
      program:
        #"[(try (1|sort_by(.)) catch .), (try ({"a":3}|max_by(.)) catch .), (try ("abc"|min) catch .), ([1,nan]|max), (nan < 1), ([1,"a",null,[2]]|sort_by([nan]|min)), ([nan,1,nan]|sort|tojson)]"#,
      input: #"null"#,
      outputs: [
        #"["Cannot iterate over number (1)","object ({\"a\":3}) and array ([[3]]) cannot be iterated over","string (\"abc\") and string (\"abc\") cannot be iterated over",1,true,[1,"a",null,[2]],"[null,null,1]"]"#
      ]),
    Case(
      "numbers: doubles spelled as jq prints them, exp10 from the C library, length of -0",
      program:
        #"[1e16*1, 1.5e16*1, 123456789012345678*1, 1e-5*1, 0.0001*1, 5.30368362994617e20*1, (1.5|exp10), (-0|length), -(range(3))]"#,
      input: #"null"#,
      outputs: [
        #"[1e+16,15000000000000000,123456789012345680,1e-05,0.0001,530368362994617000000,31.62277660168379,0,0,-1,-2]"#
      ]),
    Case(
      "range: a NaN bound never ends it; range/3 as defined, with +",
      program:
        #"[[limit(3; range(0; nan))], [range(1.50; 3)], [range(5; 0; -2)], (try [range(0; 10; "a")] catch .)]"#,
      input: #"null"#,
      outputs: [#"[[0,1,2],[1.50,2.5],[5,3,1],"number (0) and string (\"a\") cannot be added"]"#]),
    Case(
      "formats: base64d, urid, @csv/@tsv/@sh/@html as jq encodes them (NUL as \\0)",
      program:
        #"[("ab=x"|@base64d), ("====="|@base64d), (try ("a"|@base64d) catch .), (try (" YQ"|@base64d) catch .), (["\u0000a"]|@csv), (["\u0000a"]|@tsv), ("\u0000<"|@html), (["\u0000"]|@sh), (try (1|@tsv) catch .), (try ("%zz"|@urid) catch .), ([1,nan]|@csv)]"#,
      input: #"null"#,
      outputs: [
        #"["i","","string (\"a\") trailing base64 byte found","string (\" YQ\") is not valid base64 data","\"\\0a\"","\\0a","\\0&lt;","'\\0'","number (1) cannot be tsv-formatted, only array","string (\"%zz\") is not a valid uri encoding","1,"]"#
      ]),
    Case(
      "tonumber and fromjson read what decNumber and jq's parser read",
      program:
        #"[("nan","-Infinity","inf","1.","+1",".5","01","sNaN00","1e9999999999"|tonumber|tojson), ("[01, .5, +1, nan, -inf]"|fromjson|tojson), (try ("\"\\ud800\""|fromjson) catch .), (try ("nan1"|tonumber) catch .)]"#,
      input: #"null"#,
      outputs: [
        #"["null","-1.7976931348623157e+308","1.7976931348623157e+308","1","1","0.5","1","null","1.7976931348623157e+308","[1,0.5,1,null,-1.7976931348623157e+308]","Invalid \\uXXXX\\uXXXX surrogate pair escape at line 1, column 8 (while parsing '\"\\ud800\"')","string (\"nan1\") cannot be parsed as a number"]"#
      ]),
    Case(
      "? after an index drops that step's error only; def and label start a pipe",
      program:
        #"[(try [(error("x")).a?] catch .), [("a",{"b":5}).b?], [(error("x"))?], (try [.[error("k")]?] catch .), (try (null|[path(.[])]) catch .), (1, def f: 2; f), (try (null|.a = false // 2) catch .)]"#,
      input: #"null"#,
      outputs: [#"["x",[5],[],"k","Cannot iterate over null (null)",1,2,{"a":false}]"#]),
    Case(
      "destructuring: an array pattern's elements from the last; errors name the index",
      program:
        #"[(try ("x" as [$a, $b, $c] | 1) catch .), (try ([[1],2] as [[$a,$b],{c:$c}] | 1) catch .), (try ([1] as {a: $a, b: $b} | $a) catch .)]"#,
      input: #"null"#,
      outputs: [
        #"["Cannot index string with number (2)","Cannot index number with string (\"c\")","Cannot index array with string (\"a\")"]"#
      ]),
    Case(
      "paths, getpath in path mode, builtins, finites, abs",
      program:
        #"[(try ({"b":null}|[paths(error)]) catch .), (try ([]|path(getpath(["a",0]))) catch .), (builtins|length), ([null,nan,1,infinite,"a"]|map(finites)|length), (try (null|abs) catch .), ("a"|abs), (-0|abs|tojson)]"#,
      input: #"null"#,
      outputs: [#"[{"b":null},"Cannot index array with string (\"a\")",226,2,"null (null) cannot be negated","a","0"]"#]
    ),
    Case(
      "dates: gmtime, localtime and mktime's words",
      program:
        #"[(try (null|gmtime) catch .), (try ("a"|localtime) catch .), (try (1|mktime) catch .)]"#,
      input: #"null"#,
      outputs: [
        #"["gmtime() requires numeric inputs","localtime() requires numeric inputs","mktime requires array inputs"]"#
      ]),
    Case(
      "math: significand and logb at the ends of the doubles; a string repeated an infinite number of times",
      program:
        #"[([1.7976931348623157e308, 5e-324, 0, -0.75] | map([significand, logb])), (try ("ab" * infinite) catch .), ("" * 1e1000)]"#,
      input: #"null"#,
      outputs: [
        #"[[[1.9999999999999998,1023],[1,-1074],[0,-1.7976931348623157e+308],[-1.5,-1]],"Repeat string result too long",""]"#
      ]),
    Case(
      "builtins in jq's order; @base64d repairs bad UTF-8 as jq does",
      program:
        #"[(builtins | .[0:3]), ("null" | @base64d | explode), ("wA" | @base64d | explode)]"#,
      input: #"null"#,
      outputs: [#"[["have_literal_numbers/0","have_decnum/0","input_line_number/0"],[65533,65533],[65533]]"#]),
    Case(
      "all and any stop at the first answer, as jq defines them; flatten as defined",
      program:
        #"[([{}, null] | all(map_values(.) | not)), ([1, null] | any(.)), ({"a":[1,[2]]} | flatten), ([[1,[2]]] | flatten(1.5)), (try (1 | flatten) catch .)]"#,
      input: #"null"#,
      outputs: [#"[false,true,[1,2],[1,2],"Cannot iterate over number (1)"]"#]),
    Case(
      "recurse walks children as they come when there are many (f may never end)",
      program:
        #"[[limit(3; recurse(. | recurse(.)))], ([range(100)] | [recurse(.[]?)] | length)]"#,
      input: #"null"#,
      outputs: [#"[[null,null,null],101]"#]),
    Case(
      "?//: the next pattern after an error downstream, a reduce keeping its state, a try around it",
      program:
        #"[(reduce ([1] as [$a] ?// $a | $a) as $r (0; if $r == 1 then error("z") else $r end)), (try ((try (null as [$a] ?// $a | [$a])) as {a: $a} | $a) catch .)]"#,
      input: #"null"#,
      outputs: [#"[[1],"Cannot index array with string (\"a\")"]"#]),
    Case(
      "indexes cut toward zero, has, NaN in nested sort keys",
      program:
        #"[([0,1,2] | .[-1.5], has(-0.5), (.[-1.5] = 9)), ([[nan,1],[nan,0]] | sort | tojson), ([{"a":1},{"a":0}] | sort_by(nan, .a))]"#,
      input: #"null"#,
      outputs: [#"[2,true,[0,1,9],"[[null,1],[null,0]]",[{"a":1},{"a":0}]]"#]),
    Case(
      "regex: POSIX classes under i, n without g, \\h, a - after a class escape",
      program:
        #"[("null" | sub("[[:upper:]]"; "X"; "i")), ("xax" | [match("a*"; "n").string]), ("h" | test("\\h")), ("a@b.c" | test("^[\\w-.]+@"))]"#,
      input: #"null"#,
      outputs: [#"["Xull",["a"],true,true]"#]),
    Case(
      "assignment binds more tightly than //; delpaths walks under a path written otherwise",
      program:
        #"[(null | .a = false // 2), (try ([0,1,{"x":5}] | delpaths([[-1],[2,"x","y"]])) catch .)]"#,
      input: #"null"#,
      outputs: [#"[{"a":false},"Cannot delete fields from number"]"#]),
    Case(
      "a tail call made many times before its body ends runs as it comes (jq's laziness)",
      program:
        #"[[limit(3; 0 | while(true; repeat(.)))], (def w: ., (repeat(.) | w); [limit(3; 0 | w)])]"#,
      input: #"null"#,
      outputs: [#"[[0,0,0],[0,0,0]]"#]),
    Case(
      "contains: true and false are two kinds; mktime's -1; a slice set on null reads the slice first",
      program:
        #"[(try (false | inside(. | not)) catch .), (try (-1 | gmtime | mktime) catch .), (try (null | setpath([{"start": 1}]; 1)) catch .), ([9007199254740993, 9007199254740993] | todate)]"#,
      input: #"null"#,
      outputs: [
        #"["boolean (true) and boolean (false) cannot have their containment checked","invalid gmtime representation","Array/string slice indices must be integers","-2147481749--2147483648-00T00:00:00Z"]"#
      ]),
    Case(
      "a program's number is printed as JSON (.5 as 0.5, 1. as 1); reduce and foreach over an update with no output",
      program:
        #"[[.5, 1., 00.50, 1.0], ([1,2] | reduce .[] as $x (0; empty)), ([1,2,3] | reduce .[] as $x (0; if $x==2 then empty else .+$x end)), ([1,2,3] | [foreach .[] as $x (0; if $x==2 then empty else .+$x end)])]"#,
      input: #"null"#,
      outputs: [#"[[0.5,1,0.50,1.0],null,3,[1,3]]"#]),
    Case(
      "regex: $ is the end or before a newline that ends the text",
      program:
        #"[("a\n" | test("a$")), ("a\nb" | test("a$")), ("a\n" | sub("$"; "X")), ("x$" | test("x\\$"))]"#,
      input: #"null"#,
      outputs: [#"[true,false,"aX\n",true]"#]),
    Case(
      "a tail call waiting when a later output of the body fails is made first (its error is jq's)",
      program:
        #"[(try (2 | [until((., -1 | todate | not); {"x": 1} | {x}, [limit(-1; .)])]) catch .), ("ab" * 2.5)]"#,
      input: #"null"#,
      outputs: [#"["strftime/1 requires parsed datetime inputs","abab"]"#]),
    Case(
      "?// moves on for an error after a try around it too, and the last pattern's error still passes the try",
      program:
        #"[(try ([] | (.) / (try ((.) as [$a] ?// {a: $a} ?// $a | [$a]) catch (.))) catch .), (try ((try (null as [$a] ?// $a | [$a])) as {a: $a} | $a) catch .)]"#,
      input: #"null"#,
      outputs: [#"["array ([]) and array ([[]]) cannot be divided","Cannot index array with string (\"a\")"]"#]),
  ]

  @Test("as jq 1.8.2 answers", arguments: cases)
  func answersAsJQ(_ example: Case) throws {
    let program = try JQProgram("(" + example.program + ") | tojson")
    let outputs = try program.outputs(JSONParser.parse(example.input)).map { $0.stringValue ?? "" }
    #expect(outputs == example.outputs, "\(example.program)")
  }
}
