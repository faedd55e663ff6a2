import Foundation
import JQ

/// The engine's side of the differential test against jq 1.8.2 (`scripts/jq-differential`):
/// cases in as JSON lines, `{"program": TEXT, "input": JSON TEXT}`, one answer out per case, as
/// a JSON line:
///
/// - `{"compile": MESSAGE}` when the program is refused before it runs;
/// - `{"input": MESSAGE}` when the input is not JSON the engine reads;
/// - `{"outputs": [VALUE…], "error": MESSAGE or null, "timeout": BOOL}` otherwise: the outputs
///   before the error, if one was raised (`timeout`: the case ran past its time and was stopped),
///   with `"errorValue": VALUE` when the error's value is not a string (`error({"a":1})`), and
///   `"halted": true` when `halt` or `halt_error` ended the run (jq's library reports no error
///   then), and `"seconds"`: the CPU time compiling and running took.
///
/// Each case runs in a fresh program, so nothing one defines reaches the next; a case that
/// runs longer than `seconds` is interrupted, and the outputs are capped at `maxOutputs`.
public enum Differential {
  /// Answers every case read from standard input on standard output.
  public static func run(seconds: Double, maxOutputs: Int) {
    let interruption = Interruption()
    let deadline = Deadline(interruption)
    onEvaluationThread {
      // What every process pays once (the builtins' tables, the prelude) is paid before the
      // first case, so no case's time carries it.
      _ = try? JQProgram(#"[builtins, ("a" | test("a")), ([1] | all, any), ("x" | sub("x"; "y"))] | length"#)
        .run(.null) { _ in }
      while let line = readLine(strippingNewline: true) {
        guard !line.isEmpty else { continue }
        FileHandle.standardOutput.write(
          Data((JSONWriter.compact(answer(line, interruption, deadline, seconds, maxOutputs)) + "\n").utf8))
      }
    }
    deadline.stop()
  }

  private static func answer(
    _ line: String, _ interruption: Interruption, _ deadline: Deadline, _ seconds: Double, _ maxOutputs: Int
  ) -> Value {
    guard case .object(let request)? = try? JSONParser.parse(line), case .string(let text)? = request["program"],
      case .string(let inputText)? = request["input"]
    else { return .object(JSONObject([("compile", .string("the case is not {program, input}"))])) }
    let input: Value
    do {
      input = try JSONParser.parse(inputText)
    } catch {
      return .object(JSONObject([("input", .string("\(error)"))]))
    }
    interruption.reset()
    let started = threadCPUSeconds()
    let program: JQProgram
    do {
      program = try JQProgram(text, options: JQOptions(interruption: interruption))
    } catch {
      return .object(JSONObject([("compile", .string(error.message))]))
    }
    var outputs: [Value] = []
    var failure: Value = .null
    var timedOut = false
    var halted = false
    var errorValue: Value?
    deadline.arm(after: seconds)
    do {
      try program.run(input) { value in
        outputs.append(value)
        if outputs.count >= maxOutputs { throw Capped() }
      }
    } catch is Capped {
    } catch is EvaluationInterrupted {
      timedOut = true
    } catch let error as JQError {
      failure = .string(error.message)
      if case .string = error.value {} else { errorValue = error.value }
    } catch is JQHalt {
      // jq's library ends the run there, without an error: so does this side.
      halted = true
    } catch {
      failure = .string("\(error)")
    }
    deadline.disarm()
    let seconds = threadCPUSeconds() - started
    var answer = JSONObject([("outputs", .array(outputs)), ("error", failure), ("timeout", .bool(timedOut))])
    answer["seconds"] = .number(Number(seconds))
    if halted { answer["halted"] = .true }
    if let errorValue { answer["errorValue"] = markingInfinities(errorValue) }
    return .object(answer)
  }

  private struct Capped: Error {}

  /// The CPU time this thread has used: a case's cost, whatever else the machine runs.
  private static func threadCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
  }

  /// `value` with each number whose double is infinite as the string `"\u{0}-inf"` or `"\u{0}inf"`: jq's
  /// library words such a number as a float, where a finite whole number prints every digit.
  private static func markingInfinities(_ value: Value) -> Value {
    switch value {
    case .number(let number) where number.double.isInfinite:
      return .string(number.double < 0 ? "\u{0}-inf" : "\u{0}inf")
    case .array(let items): return .array(items.map(markingInfinities))
    case .object(let object): return .object(JSONObject(object.map { ($0.0, markingInfinities($0.1)) }))
    default: return value
    }
  }

  /// Sets the interruption when a case runs past its time (one timer thread for the whole run).
  private final class Deadline: @unchecked Sendable {
    private let condition = NSCondition()
    private var due: Date?
    private var stopped = false
    private let interruption: Interruption

    init(_ interruption: Interruption) {
      self.interruption = interruption
      Thread.detachNewThread { [self] in watch() }
    }

    func arm(after seconds: Double) {
      condition.lock()
      due = Date(timeIntervalSinceNow: seconds)
      condition.signal()
      condition.unlock()
    }

    func disarm() {
      condition.lock()
      due = nil
      condition.unlock()
    }

    func stop() {
      condition.lock()
      stopped = true
      condition.signal()
      condition.unlock()
    }

    private func watch() {
      condition.lock()
      while !stopped {
        if let due {
          if Date() >= due {
            interruption.set()
            self.due = nil
          } else {
            _ = condition.wait(until: due)
          }
        } else {
          condition.wait()
        }
      }
      condition.unlock()
    }
  }
}
