import Foundation
import TestSupport
import Testing

/// jq's command line in nwsh: files after the program, `-n` with `input`/`inputs`, `-s`, `-R`,
/// `--stream`, `-e`, the output options, `-f`, bundled switches; and help that answers.
@Suite("jq's command line (binary)")
struct JQCommandLineTests {
  /// Runs nwsh in `directory` (relative file names resolve there) with a state of its own.
  static func nwsh(_ arguments: [String], stdin: String = "", in directory: String) throws -> Binary.Output {
    try Binary.run(
      ["-c", "cd \"$0\" && exec \"$@\"", directory, Binary.path] + arguments, executable: "/bin/sh", stdin: stdin,
      environment: ["XDG_STATE_HOME": directory + "/state", "NETWORKED_API_KEY": ""])
  }

  static func write(_ text: String, to path: String) throws {
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
  }

  @Test("files after the program are read's input, in turn, each with its name and lines")
  func fileArguments() throws {
    let home = temporaryDirectory("jqcli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    try Self.write(#"{"id":1}"# + "\n" + #"{"id":2}"# + "\n", to: home + "/p.jsonl")
    try Self.write(#"{"id":3}"# + "\n", to: home + "/q.jsonl")
    let one = try Self.nwsh(["-c", "read | .id", "p.jsonl"], in: home)
    #expect(one.status == 0 && one.stdout == "1\n2\n", "\(one.stderr)")
    let two = try Self.nwsh(["-c", "read | [.id, input_filename, input_line_number]", "p.jsonl", "q.jsonl"], in: home)
    #expect(two.stdout == "[1,\"p.jsonl\",1]\n[2,\"p.jsonl\",2]\n[3,\"q.jsonl\",1]\n", "\(two.stderr)")
    // A word that is not a readable file is refused before anything runs.
    let missing = try Self.nwsh(["-c", "read", "nope.jsonl"], in: home)
    #expect(missing.status == 64 && missing.stderr.contains("cannot read nope.jsonl"), "\(missing.stderr)")
    // --args still makes them arguments.
    let args = try Self.nwsh(["-n", "-c", "$ARGS.positional", "--args", "a", "b"], in: home)
    #expect(args.stdout == "[\"a\",\"b\"]\n")
    // -f: the program from a file, the words after it are input files.
    try Self.write("read | .id * 10\n", to: home + "/prog.jq")
    let fromFile = try Self.nwsh(["-f", "prog.jq", "q.jsonl"], in: home)
    #expect(fromFile.stdout == "30\n", "\(fromFile.stderr)")
  }

  @Test("-n with input and inputs; -s, -R, -Rs and --stream shape what read gives")
  func inputModes() throws {
    let home = temporaryDirectory("jqcli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    let values = "1 2\n3\n"
    #expect(try Self.nwsh(["-n", "-c", "[inputs]"], stdin: values, in: home).stdout == "[1,2,3]\n")
    #expect(try Self.nwsh(["-c", "input, input"], stdin: values, in: home).stdout == "2\n3\n")
    #expect(try Self.nwsh(["-nc", "reduce inputs as $x (0; . + $x)"], stdin: values, in: home).stdout == "6\n")
    let none = try Self.nwsh(["-n", "-c", "input"], stdin: "", in: home)
    #expect(none.status != 0 && none.stderr.contains("No more inputs"), "\(none.stderr)")
    let both = try Self.nwsh(["-c", "read | [., input]"], stdin: values, in: home)
    #expect(both.stderr.contains("use one or the other"), "\(both.stdout) \(both.stderr)")
    #expect(try Self.nwsh(["-s", "-c", "read"], stdin: values, in: home).stdout == "[1,2,3]\n")
    // A file holding one array is one value to jq's options (read alone unpacks it).
    #expect(try Self.nwsh(["-s", "-c", "read"], stdin: "[1,2]", in: home).stdout == "[[1,2]]\n")
    #expect(try Self.nwsh(["-c", "read"], stdin: "[1,2]", in: home).stdout == "1\n2\n")
    try Self.write("[1,2]", to: home + "/a.json")
    #expect(try Self.nwsh(["-n", "-c", "$a", "--slurpfile", "a", "a.json"], in: home).stdout == "[[1,2]]\n")
    #expect(try Self.nwsh(["-R", "-c", "read"], stdin: "a b\n{x\n", in: home).stdout == "\"a b\"\n\"{x\"\n")
    #expect(try Self.nwsh(["-Rs", "-c", "read"], stdin: "a\nb\n", in: home).stdout == "\"a\\nb\\n\"\n")
    #expect(try Self.nwsh(["-nR", "-c", "[inputs]"], stdin: "a\nb", in: home).stdout == "[\"a\",\"b\"]\n")
    // -s with --stream gathers the events (jq 1.8; jq 1.6 garbles this).
    #expect(
      try Self.nwsh(["-s", "--stream", "-c", "read"], stdin: "1 [2]", in: home).stdout == "[[[],1],[[0],2],[[0]]]\n")
    let stream = try Self.nwsh(["--stream", "-c", "read"], stdin: #"{"a":[1,{"b":2}]}"#, in: home)
    #expect(
      stream.stdout == """
        [["a",0],1]
        [["a",1,"b"],2]
        [["a",1,"b"]]
        [["a",1]]
        [["a"]]

        """, "\(stream.stdout)")
  }

  @Test("jq's option table, side by side with the installed jq on the same inputs: same output, same exit status")
  func optionsAgainstJQ() throws {
    let home = temporaryDirectory("jqcli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    try Self.write(#"{"a":1}"# + "\n" + #"{"a":"x"}"# + "\n", to: home + "/p.jsonl")
    try Self.write(#"{"a":3}"# + "\n", to: home + "/q.jsonl")
    try Self.write("[1,2]\n3\n", to: home + "/values.json")
    try Self.write("line one\nline two\n", to: home + "/text.txt")
    try Self.write("[inputs | .a + 1]\n", to: home + "/prog.jq")
    let objects = #"{"a":1} {"a":"x"}"#
    // (options, program, input, files); nil program: -f gives it. jq runs the program on each
    // input; nwsh reads with `read` (a program starts on null, as jq -n), except under -n.
    let cases: [(options: [String], program: String?, input: String, files: [String])] = [
      ([], ".a", objects, []),
      (["-r"], ".a", objects, []),
      (["-j"], ".a", objects, []),
      (["-a"], ".", #""é😀 \u0001""#, []),
      (["-S"], ".", #"{"b":1,"a":{"d":2,"c":3}}"#, []),
      (["-e"], ".a", #"{"a":false}"#, []),
      (["-e"], ".a", #"{"a":null}"#, []),
      (["-e"], ".a", #"{"a":0}"#, []),
      (["-e"], "empty", "1", []),
      (["-n"], "[inputs]", "1 2 3", []),
      (["-n"], "input", "1 2", []),
      (["-n"], "[., input]", "1 2", []),
      (["-s"], ".", "1 2 3", []),
      (["-s"], "length", "", []),
      (["-R"], ".", "a b\nc\n", []),
      (["-R"], "length", "no newline at the end", []),
      (["-Rs"], ".", "a\nb\n", []),
      (["-nR"], "[inputs]", "a\nb", []),
      (["--stream"], ".", #"{"a":[1,{"b":2}],"c":[]}"#, []),
      (["--seq"], ".", "1 [2]", []),
      (["--seq"], ".", "\u{1E}1\n\u{1E}[2]\n\u{1E}{\"a\":3}\n", []),
      (["--seq"], ".a", "ignored \u{1E}{\"a\":1}\n", []),
      (["--tab"], ".", #"{"a":[1,{"b":null}]}"#, []),
      (["--indent", "1"], ".", #"{"a":[1]}"#, []),
      (["--indent", "0"], ".", #"{"a":[1]}"#, []),
      (["-M"], ".", #"{"a":[1,"x",null,true]}"#, []),
      (["--arg", "x", "1"], "[$x, $ARGS.named]", "null", []),
      (["--argjson", "x", #"{"a":1}"#], "$x.a", "null", []),
      (["--slurpfile", "v", "values.json"], "$v", "null", []),
      (["--rawfile", "t", "text.txt"], "$t", "null", []),
      (["-n", "--args"], "$ARGS.positional", "", ["a", "b"]),
      (["-n", "--jsonargs"], "$ARGS.positional", "", ["1", #"{"a":2}"#]),
      (["-n", "-f", "prog.jq"], nil, "", ["q.jsonl", "q.jsonl"]),
      ([], "[.a, input_filename]", "", ["p.jsonl", "q.jsonl"]),
      (["-s"], "map(.a)", "", ["p.jsonl", "q.jsonl"]),
      (["-n"], "[inputs.a]", "", ["p.jsonl", "q.jsonl"]),
      (["-nr"], #""\(1 + 1)""#, "", []),
      (["-rS"], "{b: .a, a: .a}", "{\"a\":1}", []),
    ]
    for (options, program, input, files) in cases {
      let layout = options.contains("--tab") || options.contains("--indent")
      // jq indents by default and nwsh writes lines in a pipe: jq gets -c unless indenting.
      var jq = (layout ? [] : ["-c"]) + options
      var mine = options
      if let program {
        jq.append(program)
        mine += ["-c", options.contains(where: { $0.hasPrefix("-n") }) ? program : "read | " + program]
      }
      jq += files
      mine += files
      let theirs = try Binary.run(
        ["-c", "cd \"$0\" && exec jq \"$@\"", home] + jq, executable: "/bin/sh", stdin: input)
      let ours = try Self.nwsh(mine, stdin: input, in: home)
      #expect(
        ours.stdout == theirs.stdout && ours.status == theirs.status,
        "\(options) \(program ?? "") \(files): nwsh \(ours.status) \(ours.stdout.debugDescription) \(ours.stderr), jq \(theirs.status) \(theirs.stdout.debugDescription)"
      )
    }
  }

  @Test("-e, -S, -a, --tab, --indent, --seq, --raw-output0, -C, -M, --compact-output: as in jq")
  func outputOptions() throws {
    let home = temporaryDirectory("jqcli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    #expect(try Self.nwsh(["-n", "-e", "-c", "1, true"], in: home).status == 0)
    #expect(try Self.nwsh(["-n", "-e", "-c", "1, null"], in: home).status == 1)
    #expect(try Self.nwsh(["-n", "-e", "-c", "false"], in: home).status == 1)
    #expect(try Self.nwsh(["-n", "-e", "-c", "empty"], in: home).status == 4)
    #expect(
      try Self.nwsh(["-n", "-S", "-c", #"{"b":1,"a":{"d":2,"c":3}}"#], in: home).stdout == #"{"a":{"c":3,"d":2},"b":1}"#
        + "\n")
    #expect(try Self.nwsh(["-n", "-a", "-c", #""é😀\"""#], in: home).stdout == #""\u00e9\ud83d\ude00\"""# + "\n")
    #expect(try Self.nwsh(["-n", "--tab", "-c", "{a:[1]}"], in: home).stdout == "{\n\t\"a\": [\n\t\t1\n\t]\n}\n")
    #expect(try Self.nwsh(["-n", "--indent", "1", "-c", "[1]"], in: home).stdout == "[\n 1\n]\n")
    #expect(try Self.nwsh(["-n", "--indent", "9", "-c", "1"], in: home).status == 64)
    #expect(try Self.nwsh(["-n", "--seq", "-c", "1, 2"], in: home).stdout == "\u{1E}1\n\u{1E}2\n")
    #expect(try Self.nwsh(["-n", "--raw-output0", "-c", #""a", "b""#], in: home).stdout == "a\u{0}b\u{0}")
    #expect(try Self.nwsh(["-n", "-C", "-c", "null"], in: home).stdout.contains("\u{1B}["))
    #expect(!(try Self.nwsh(["-n", "-M", "-c", "null"], in: home).stdout.contains("\u{1B}[")))
    #expect(try Self.nwsh(["-n", "--compact-output", "-c", "{a:1}"], in: home).stdout == #"{"a":1}"# + "\n")
    // Bundled switches, and a bundle with an unknown letter is an unknown option.
    #expect(try Self.nwsh(["-nr", "-c", #""x""#], in: home).stdout == "x\n")
    let bad = try Self.nwsh(["-nq", "-c", "1"], in: home)
    #expect(bad.status == 64 && bad.stderr.contains("unknown option"), "\(bad.stderr)")
  }

  @Test("help: nwsh help lists the pipeline commands by group; an unknown name suggests the nearest, exit 64")
  func help() throws {
    let home = temporaryDirectory("jqcli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    let all = try Self.nwsh(["help"], in: home)
    #expect(all.status == 0 && all.stdout.contains("PIPELINE COMMANDS"))
    for heading in ["Reading:", "Shaping rows:", "Writing:", "The Networked API:", "Journal, results and the funnel:"] {
      #expect(all.stdout.contains(heading), "\(heading)")
    }
    #expect(all.stdout.contains("  invite ") && all.stdout.contains("  pending "))
    let typo = try Self.nwsh(["help", "mapp"], in: home)
    #expect(typo.status == 64 && typo.stderr.contains("did you mean map?") && typo.stdout.isEmpty, "\(typo.stderr)")
    #expect(try Self.nwsh(["help", "strptime"], in: home).stdout.contains("strptime"))
    #expect(try Self.nwsh(["help", "pending"], in: home).stdout.contains("--older-than"))
  }

  @Test("bash completion, called as bash calls it: options, subcommands, help topics, states, profiles, -c programs")
  func bashCompletion() throws {
    let home = temporaryDirectory("jqcli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    let script = try Binary.run(["--generate-completion-script", "bash"]).stdout
    try Self.write(script, to: home + "/nwsh.bash")
    try FileManager.default.createDirectory(atPath: home + "/config/nwsh", withIntermediateDirectories: true)
    try Self.write(
      #"{"profiles":{"work":{"baseURL":"https://backend.networked.co","key":"k"},"demo":{"baseURL":"x","key":"k"}}}"#,
      to: home + "/config/nwsh/credentials")
    let bin = (Binary.path as NSString).deletingLastPathComponent
    /// COMPREPLY for the words typed so far (the last one being completed), one per line.
    func complete(_ words: [String]) throws -> [String] {
      let quoted = (["nwsh"] + words).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
      let program = """
        source nwsh.bash
        COMP_WORDS=(\(quoted.joined(separator: " ")))
        COMP_CWORD=\(words.count)
        _nwsh
        printf '%s\\n' "${COMPREPLY[@]}"
        """
      let output = try Binary.run(
        ["-c", "cd \"$0\" && exec bash -c \"$1\"", home, program], executable: "/bin/sh",
        environment: ["PATH": bin + ":/usr/bin:/bin", "XDG_CONFIG_HOME": home + "/config"])
      return output.stdout.split(separator: "\n").map(String.init)
    }
    #expect(try complete(["--sa"]) == ["--sandbox"])
    #expect(try complete(["help", "inv"]) == ["invite"])
    #expect(try complete(["journal", "--status", "inv"]) == ["invited"])
    #expect(try complete(["--profile", ""]) == ["demo", "work"])
    #expect(try complete(["rep"]).contains("report"))
    #expect(try complete(["-c", "'read | inv"]) == ["'read | invite"])
    #expect(try complete(["-c", "'read --c"]) == ["'read --csv"])
    #expect(try complete(["--ind"]) == ["--indent"])
    // Script paths: file names, from bash's own completion.
    try Self.write("1\n", to: home + "/onboard.nw")
    #expect(try complete(["onb"]).contains("onboard.nw"))
  }

  @Test("modules: import, include, data, -L and -LDIR, modulemeta, the program's directory: as the installed jq does")
  func modules() throws {
    let home = temporaryDirectory("jqcli")
    defer { try? FileManager.default.removeItem(atPath: home) }
    try FileManager.default.createDirectory(atPath: home + "/lib/geo", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: home + "/prog", withIntermediateDirectories: true)
    try Self.write("def helper: 2;\ndef double: . * helper;\ndef quad: double | double;\n", to: home + "/lib/util.jq")
    try Self.write(#"import "util" as u; def area: .w * .h | u::double;"# + "\n", to: home + "/lib/geo/geo.jq")
    try Self.write(#"{"rate": 3}"#, to: home + "/lib/cfg.json")
    try Self.write("def here: \"beside the program\";\n", to: home + "/prog/local.jq")
    try Self.write(#"import "local" as l; l::here"# + "\n", to: home + "/prog/main.jq")
    // (options, directives, body, input): jq runs `directives body` on the input; nwsh
    // `directives read | body`, its programs starting on null as jq's -n does.
    let cases: [(options: [String], directives: String, body: String, input: String)] = [
      (["-L", "lib"], #"import "util" as u;"#, ".xs | map(u::quad)", #"{"xs":[1,2]}"#),
      (["-L", "lib"], #"include "util";"#, "[double, quad]", "5"),
      (["-Llib"], #"import "geo" as g;"#, "g::area", #"{"w":2,"h":3}"#),
      (["-L", "lib"], #"import "cfg" as $cfg;"#, "$cfg::cfg[0].rate + .", "1"),
      (["-L", "lib"], #"import "util" as u; import "geo" as u;"#, "[u::area, (.w | u::quad)]", #"{"w":1,"h":1}"#),
      (["--library-path", "lib"], "", #""geo" | modulemeta | .deps"#, #""x""#),
    ]
    for (options, directives, body, input) in cases {
      let mine = try Self.nwsh(options + ["-c", directives + " read | " + body], stdin: input, in: home)
      let jq = options.map { $0 == "--library-path" ? "-L" : $0 } + ["-c", directives + " " + body]
      let theirs = try Binary.run(
        ["-c", "cd \"$0\" && exec jq \"$@\"", home] + jq, executable: "/bin/sh", stdin: input)
      #expect(theirs.status == 0, "jq \(jq): \(theirs.stderr)")
      #expect(
        mine.status == 0 && mine.stdout == theirs.stdout,
        "\(body): nwsh \(mine.stdout) \(mine.stderr) jq \(theirs.stdout)")
    }
    // `.` in a program file's imports is the file's directory.
    let fromFile = try Self.nwsh(["-n", "-f", "prog/main.jq"], in: home)
    #expect(fromFile.stdout == "\"beside the program\"\n", "\(fromFile.stderr)")
    // A module's own definitions stay its own: helper is not the importer's.
    let hidden = try Self.nwsh(["-L", "lib", "-c", #"import "util" as u; [helper]"#], in: home)
    #expect(hidden.status == 64 && hidden.stderr.contains("helper/0 is not defined"), "\(hidden.stderr)")
    let missing = try Self.nwsh(["-L", "lib", "-n", "-c", #"import "nope" as n; 1"#], in: home)
    #expect(
      missing.status == 64 && missing.stderr.contains("module not found: nope")
        && missing.stderr.contains("looked for nope.jq in"), "\(missing.stderr)")
  }
}
