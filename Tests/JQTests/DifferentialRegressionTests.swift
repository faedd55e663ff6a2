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
  ]

  @Test("as jq 1.8.2 answers", arguments: cases)
  func answersAsJQ(_ example: Case) throws {
    let program = try JQProgram("(" + example.program + ") | tojson")
    let outputs = try program.outputs(JSONParser.parse(example.input)).map { $0.stringValue ?? "" }
    #expect(outputs == example.outputs, "\(example.program)")
  }
}
