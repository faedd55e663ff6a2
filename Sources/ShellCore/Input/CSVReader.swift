/// Reads CSV (RFC 4180) with a header row into objects keyed by the header's names.
///
/// Quoted fields may hold commas, doubled quotes and line breaks; CRLF and LF both end
/// records; a UTF-8 byte-order mark is skipped. A record with the wrong number of fields
/// becomes an `invalid` result (`bad_csv`) and reading goes on. Values stay strings.
public struct CSVReader {
  /// The name rows carry as their origin.
  public var sourceName: String
  /// The field separator (`,`; `\t` for TSV).
  public var separator: UInt8 = UInt8(ascii: ",")
  /// Size limits.
  public var limits: InputLimits

  /// A reader for input named `sourceName`.
  public init(sourceName: String, limits: InputLimits = InputLimits()) {
    self.sourceName = sourceName
    self.limits = limits
  }

  /// Reads everything, calling `emit` for each record.
  public func read(_ source: inout some ByteSource, _ emit: (Item) throws -> Void) throws {
    var header: [String]?
    var fields: [String] = []
    var field: [UInt8] = []
    var recordBytes = 0
    var inQuotes = false
    var quoteJustClosed = false
    var line = 1
    var recordLine = 1
    var rowNumber = 0
    var atRecordStart = true
    var first = true
    var chunk: [UInt8] = []

    func endField() {
      fields.append(String(decoding: field, as: UTF8.self))
      field.removeAll(keepingCapacity: true)
      quoteJustClosed = false
    }

    func endRecord() throws {
      defer {
        fields.removeAll(keepingCapacity: true)
        recordBytes = 0
        atRecordStart = true
      }
      if fields.count == 1 && fields[0].isEmpty { return }  // a blank line
      guard let names = header else {
        header = fields
        return
      }
      rowNumber += 1
      guard fields.count == names.count else {
        try emit(
          .result(
            .result(
              row: rowNumber, status: "invalid",
              [
                (
                  "error",
                  .error(
                    code: "bad_csv", message: "expected \(names.count) fields (as in the header), found \(fields.count)",
                    [("line", .number(recordLine))])
                ), ("source", .string(sourceName)),
              ])))
        return
      }
      var object = JSONObject(capacity: names.count)
      for (name, value) in zip(names, fields) { object[name] = .string(value) }
      try emit(.row(Row(value: .object(object), number: rowNumber, origin: Origin(source: sourceName, line: recordLine))))
    }

    while true {
      chunk.removeAll(keepingCapacity: true)
      let count = try source.read(into: &chunk, count: 1 << 20)
      if count == 0 { break }
      var index = 0
      if first {
        first = false
        if chunk.count >= 3 && chunk[0] == 0xEF && chunk[1] == 0xBB && chunk[2] == 0xBF { index = 3 }
      }
      while index < chunk.count {
        let byte = chunk[index]
        index += 1
        if atRecordStart {
          atRecordStart = false
          recordLine = line
        }
        recordBytes += 1
        if recordBytes > limits.maxValueBytes { throw InputError("CSV record at line \(recordLine) is larger than \(limits.maxValueBytes) bytes") }
        if inQuotes {
          if byte == 0x22 {
            inQuotes = false
            quoteJustClosed = true
          } else {
            if byte == 0x0A { line += 1 }
            field.append(byte)
          }
          continue
        }
        switch byte {
        case 0x22:
          if quoteJustClosed {
            field.append(0x22)  // a doubled quote inside a quoted field
            inQuotes = true
            quoteJustClosed = false
          } else {
            inQuotes = true
          }
        case separator:
          endField()
        case 0x0D:
          continue  // CR is dropped; LF ends the record
        case 0x0A:
          line += 1
          endField()
          try endRecord()
        default:
          quoteJustClosed = false
          field.append(byte)
        }
      }
    }
    if !field.isEmpty || !fields.isEmpty || quoteJustClosed {
      endField()
      try endRecord()
    }
  }
}
