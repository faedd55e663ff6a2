import JQ

/// Reads CSV (RFC 4180) with a header row into objects keyed by the header's names.
///
/// Quoted fields may hold separators, doubled quotes and line breaks; CRLF and LF both end
/// records; a UTF-8 byte-order mark is skipped. Values stay strings.
///
/// Bad input never costs more than its own record: a record with the wrong number of fields,
/// or one larger than the value limit, becomes an `invalid` result (`bad_csv`, with its line)
/// and reading goes on. A quote inside an unquoted field is an ordinary character
/// (`Dwayne "The Rock" Johnson`), as in most CSV readers. A field that opens a quote that
/// never closes makes its record invalid, and reading resumes at the line after the record's
/// first: every physical line ends in a result.
package struct CSVReader {
  /// The name rows carry as their origin.
  package var sourceName: String
  /// The field separator (`,`; `\t` for TSV; `;` and others with `--delimiter`).
  package var separator: UInt8 = UInt8(ascii: ",")
  /// Size limits.
  package var limits: InputLimits

  /// A reader for input named `sourceName`.
  package init(sourceName: String, limits: InputLimits = InputLimits()) {
    self.sourceName = sourceName
    self.limits = limits
  }

  /// Reads everything, calling `emit` for each record.
  package func read(_ source: inout some ByteSource, _ emit: (Item) throws -> Void) throws {
    try withoutActuallyEscaping(emit) { emit in
      var parser = Parser(reader: self, emit: emit)
      var chunk: [UInt8] = []
      var first = true
      while true {
        chunk.removeAll(keepingCapacity: true)
        let count = try source.read(into: &chunk, count: 1 << 20)
        if count == 0 { break }
        var start = 0
        if first {
          first = false
          if chunk.count >= 3 && chunk[0] == 0xEF && chunk[1] == 0xBB && chunk[2] == 0xBF { start = 3 }
        }
        try parser.feed(chunk[start...])
      }
      try parser.end()
    }
  }

  /// The record-by-record state machine, fed bytes in chunks.
  private struct Parser {
    let reader: CSVReader
    let emit: (Item) throws -> Void
    var header: [String]?
    var fields: [String] = []
    var field: [UInt8] = []
    /// The current record's bytes as read, kept while it may need replaying (an open quote).
    var raw: [UInt8] = []
    var inQuotes = false
    var quoteJustClosed = false
    var atFieldStart = true
    var atRecordStart = true
    /// Bytes of the current record that will be dropped (it is over the size limit).
    var skippingOversize = false
    var line = 1
    var recordLine = 1
    var quoteLine = 0
    var rowNumber = 0

    init(reader: CSVReader, emit: @escaping (Item) throws -> Void) {
      self.reader = reader
      self.emit = emit
    }

    mutating func feed(_ bytes: ArraySlice<UInt8>) throws {
      for byte in bytes { try step(byte) }
    }

    mutating func step(_ byte: UInt8) throws {
      if atRecordStart {
        atRecordStart = false
        recordLine = line
      }
      if skippingOversize {
        if byte == 0x0A {
          line += 1
          skippingOversize = false
          resetRecord()
        }
        return
      }
      raw.append(byte)
      if raw.count > reader.limits.maxValueBytes {
        // An open quote past the limit will not close in any sane record.
        if inQuotes { return try unclosedQuote() }
        try invalid("a record larger than \(reader.limits.maxValueBytes) bytes", line: recordLine)
        if byte == 0x0A {
          line += 1
          resetRecord()
        } else {
          skippingOversize = true
        }
        return
      }
      if inQuotes {
        if byte == 0x22 {
          inQuotes = false
          quoteJustClosed = true
        } else {
          if byte == 0x0A { line += 1 }
          field.append(byte)
        }
        return
      }
      switch byte {
      case 0x22 where quoteJustClosed:
        field.append(0x22)  // a doubled quote inside a quoted field
        inQuotes = true
        quoteJustClosed = false
      case 0x22 where atFieldStart:
        inQuotes = true
        quoteLine = line
        atFieldStart = false
      case reader.separator:
        endField()
      case 0x0D:
        break  // CR is dropped; LF ends the record
      case 0x0A:
        line += 1
        endField()
        try endRecord()
      default:
        // Anything else, a quote in the middle of an unquoted field included, is literal.
        quoteJustClosed = false
        atFieldStart = false
        field.append(byte)
      }
    }

    mutating func end() throws {
      while inQuotes { try unclosedQuote() }
      if skippingOversize { return }
      if !field.isEmpty || !fields.isEmpty || quoteJustClosed {
        endField()
        try endRecord()
      }
    }

    /// The record's quote never closes: the record is invalid, and its lines after the first
    /// are read again as records of their own.
    mutating func unclosedQuote() throws {
      try invalid(
        "a quote opened on line \(quoteLine) never closes (a quote inside a field must be doubled, or the field quoted)",
        line: recordLine)
      let replay = raw.firstIndex(of: 0x0A).map { Array(raw[($0 + 1)...]) } ?? []
      line = recordLine + 1
      resetRecord()
      try feed(replay[...])
    }

    mutating func endField() {
      fields.append(String(decoding: field, as: UTF8.self))
      field.removeAll(keepingCapacity: true)
      quoteJustClosed = false
      atFieldStart = true
    }

    mutating func resetRecord() {
      fields.removeAll(keepingCapacity: true)
      field.removeAll(keepingCapacity: true)
      raw.removeAll(keepingCapacity: true)
      inQuotes = false
      quoteJustClosed = false
      atFieldStart = true
      atRecordStart = true
    }

    mutating func endRecord() throws {
      defer { resetRecord() }
      if fields.count == 1 && fields[0].isEmpty { return }  // a blank line
      guard let names = header else {
        header = fields
        return
      }
      rowNumber += 1
      guard fields.count == names.count else {
        return try emitInvalid(
          "expected \(names.count) fields (as in the header), found \(fields.count)", line: recordLine)
      }
      var object = JSONObject(capacity: names.count)
      for (name, value) in zip(names, fields) { object[name] = .string(value) }
      try emit(
        .row(
          Row(value: .object(object), number: rowNumber, origin: Origin(source: reader.sourceName, line: recordLine))))
    }

    mutating func invalid(_ message: String, line: Int) throws {
      if header == nil { throw InputError("CSV header at line \(line) is \(message)") }
      rowNumber += 1
      try emitInvalid(message, line: line)
    }

    func emitInvalid(_ message: String, line: Int) throws {
      try emit(
        .report(
          ResultRecord(
            row: rowNumber, op: "read", status: .invalid,
            [
              ("error", .error(code: .badCSV, message: message, [("line", .number(line))])),
              ("source", .string(reader.sourceName)), ("line", .number(line)),
            ])))
    }
  }
}
