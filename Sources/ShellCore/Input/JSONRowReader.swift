package import JQ

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads JSON rows from a byte stream: JSON lines, concatenated or pretty-printed values, or a
/// single top-level array (whose elements become the rows).
///
/// A malformed value becomes an `invalid` result with its line and column, and reading resumes
/// at the next line, so one bad row never stops the rest.
package struct JSONRowReader {
  /// The name rows carry as their origin.
  package var sourceName: String
  /// Size and depth limits.
  package var limits: InputLimits
  /// When set, object rows get only these members (see ``FieldDemand``); everything is still
  /// checked, so the same rows are rejected with the same messages.
  package var projection: Projection?
  /// How many values are parsed whole before ``projection`` applies (so the columns of the first
  /// rows are all known: a hint can name the one a misspelt field meant).
  package var wholeValuesFirst = 0
  /// Whether an input that is one array gives its elements as the rows (`read`'s way); false
  /// reads it as one value, as jq does (`-s`, `--stream`, `--slurpfile`).
  package var unpacksSingleArray = true

  /// A reader for input named `sourceName`.
  package init(sourceName: String, limits: InputLimits = InputLimits()) {
    self.sourceName = sourceName
    self.limits = limits
  }

  private static let blockSize = 1 << 20

  /// A value in a file that is not JSON: the `error` object of its invalid-row report.
  package struct MalformedValue: Error {
    /// `{code, message, line, column}`.
    package var error: Value
  }

  /// Every JSON value of `bytes`, in order, an array among them kept whole: what jq's
  /// `--slurpfile` and `import "data" as $d;` read. The first value that is not JSON is thrown
  /// as ``MalformedValue``.
  package static func values(in bytes: [UInt8], sourceName: String) throws -> [Value] {
    var values: [Value] = []
    var source = BytesSource(bytes)
    var reader = JSONRowReader(sourceName: sourceName)
    reader.unpacksSingleArray = false  // jq: [[1,2]] for a file holding [1,2]
    try reader.read(&source) { item in
      switch item {
      case .row(let row): values.append(row.value)
      case .report(let report): throw MalformedValue(error: report["error"] ?? .null)
      }
    }
    return values
  }

  /// Reads everything, calling `emit` with a row or an invalid-result item for each value.
  package func read(_ source: inout some ByteSource, _ emit: (Item) throws -> Void) throws {
    var buffer: [UInt8] = []
    buffer.reserveCapacity(Self.blockSize * 2)
    var start = 0
    var line = 1
    var lineStart = 0  // offset in buffer of the current line's first byte (may be negative after compaction)
    var eof = false
    var rowNumber = 0
    var held: Row?  // a first value that is an array: unpacked if it turns out to be the only one
    var parserLimits = JSONParser.Limits()
    parserLimits.maxDepth = limits.maxDepth

    func refill() throws {
      if start > 0 {
        buffer.removeFirst(start)
        lineStart -= start
        start = 0
      }
      if try source.read(into: &buffer, count: Self.blockSize) == 0 { eof = true }
    }

    func advance(to end: Int) {
      // Count the newlines passed, keeping line numbers exact.
      buffer.withUnsafeBufferPointer { bytes in
        guard let base = bytes.baseAddress else { return }
        var index = start
        while index < end, let found = memchr(base + index, 0x0A, end - index) {
          index = UnsafeRawPointer(found).assumingMemoryBound(to: UInt8.self) - base + 1
          line += 1
          lineStart = index
        }
      }
      start = end
    }

    func deliver(_ row: Row) throws {
      if let pending = held {
        held = nil
        try emit(.row(pending))
      }
      if rowNumber == 1, unpacksSingleArray, case .array = row.value {
        held = row
      } else {
        try emit(.row(row))
      }
    }

    // Whether the first line reads like a CSV header: checked once, for a hint.
    var looksLikeCSV: Bool?

    func emitInvalid(_ number: Int, _ message: String, _ line: Int, _ column: Int) throws {
      if let pending = held {
        held = nil
        try emit(.row(pending))
      }
      var details: [(String, Value)] = [("line", .number(line)), ("column", .number(column))]
      if number == 1 && line == 1 && looksLikeCSV == true {
        details.append(
          ("hint", .string("this looks like CSV: read it with read --csv (or --delimiter ';'), or open a .csv file")))
      }
      try emit(
        .report(
          ResultRecord(
            row: number, op: "read", status: .invalid,
            [
              ("error", .error(code: .badJSON, message: message, details)), ("source", .string(sourceName)),
              ("line", .number(line)),
            ])))
    }

    while true {
      // Skip white space (and a UTF-8 byte-order mark at the very start).
      while true {
        while start < buffer.count {
          let byte = buffer[start]
          if byte == 0x20 || byte == 0x09 || byte == 0x0D {
            start += 1
          } else if byte == 0x0A {
            start += 1
            line += 1
            lineStart = start
          } else if byte == 0xEF && line == 1 && rowNumber == 0 && buffer.count - start >= 3
            && buffer[start + 1] == 0xBB
            && buffer[start + 2] == 0xBF
          {
            start += 3
          } else {
            break
          }
        }
        if start < buffer.count || eof { break }
        try refill()
      }
      if start >= buffer.count { break }

      if looksLikeCSV == nil {
        // Commas on the first line and no JSON opening it: a CSV file read as JSON.
        let first = buffer[start..<(buffer[start...].firstIndex(of: 0x0A) ?? buffer.count)]
        looksLikeCSV = first.contains(UInt8(ascii: ",")) && !"{[\"".utf8.contains(first.first ?? 0)
      }
      let valueLine = line
      let outcome: Result<(Value, Int), JSONParser.SyntaxError> = buffer.withUnsafeBufferPointer { bytes in
        var parser = JSONParser(bytes, position: start, limits: parserLimits)
        do throws(JSONParser.SyntaxError) {
          let value: Value
          if let projection, rowNumber >= wholeValuesFirst {
            value = try parser.parseValue(keeping: projection)
          } else {
            value = try parser.parseValue()
          }
          return .success((value, parser.position))
        } catch {
          return .failure(error)
        }
      }
      switch outcome {
      case .success(let (value, end)):
        let size = end - start
        let column =
          size > limits.maxValueBytes
          ? String(decoding: buffer[max(0, lineStart)..<min(start, buffer.count)], as: UTF8.self).count + 1 : 0
        advance(to: end)
        rowNumber += 1
        if size > limits.maxValueBytes {
          // Parsed, but over the limit: the same answer whether or not it fitted in one read.
          try emitInvalid(rowNumber, "value larger than \(limits.maxValueBytes) bytes", valueLine, column)
          continue
        }
        try deliver(Row(value: value, number: rowNumber, origin: Origin(source: sourceName, line: valueLine)))
      case .failure(let error):
        if error.offset >= buffer.count && !eof && buffer.count - start < limits.maxValueBytes {
          try refill()  // the value continues past what has been read
          continue
        }
        rowNumber += 1
        let tooLarge = error.offset >= buffer.count && !eof
        let valueStart = start
        advance(to: min(error.offset, buffer.count))
        if line > valueLine, let newline = buffer[valueStart...].firstIndex(of: 0x0A) {
          // The bad value ran onto later lines (a truncated JSON line): report it where it
          // went wrong, but resume at the line after its first, so no later row is lost.
          let errorLine = line
          let errorColumn =
            String(decoding: buffer[max(0, lineStart)..<min(start, buffer.count)], as: UTF8.self).count + 1
          line = valueLine
          start = valueStart
          advance(to: newline + 1)
          try emitInvalid(
            rowNumber, tooLarge ? "value larger than \(limits.maxValueBytes) bytes" : error.message, errorLine,
            errorColumn)
          continue
        }
        let column = String(decoding: buffer[max(0, lineStart)..<min(start, buffer.count)], as: UTF8.self).count + 1
        let message = tooLarge ? "value larger than \(limits.maxValueBytes) bytes" : error.message
        try emitInvalid(rowNumber, message, line, column)
        // Resume after the end of the line the error is on.
        while true {
          if let newline = buffer[start...].firstIndex(of: 0x0A) {
            advance(to: newline)
            break
          }
          if eof {
            start = buffer.count
            break
          }
          start = buffer.count
          try refill()
        }
      }
    }
    if let pending = held {
      // The whole input was one array: its elements are the rows.
      if case .array(let elements) = pending.value {
        for (index, element) in elements.enumerated() {
          try emit(.row(Row(value: element, number: index + 1, origin: pending.origin)))
        }
      }
    }
  }
}
