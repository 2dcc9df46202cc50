import Foundation

/// A JSON value with object keys kept in source order: what input adapters read and what the
/// JSON renderers write.
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The member `key` of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// The object, or nil.
    public var objectValue: JSONObject? {
        if case .object(let object) = self { return object }
        return nil
    }

    /// The array, or nil.
    public var arrayValue: [JSONValue]? {
        if case .array(let array) = self { return array }
        return nil
    }

    /// The number, or nil.
    public var numberValue: Double? {
        if case .number(let number) = self { return number }
        return nil
    }

    /// The string, or nil.
    public var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }

    /// The boolean, or nil.
    public var boolValue: Bool? {
        if case .bool(let bool) = self { return bool }
        return nil
    }

    /// True for `null`.
    public var isNull: Bool { self == .null }

    /// A number or null, for optional figures.
    public static func number(_ value: Double?) -> JSONValue {
        value.map { .number($0) } ?? .null
    }

    /// A string or null.
    public static func string(_ value: String?) -> JSONValue {
        value.map { .string($0) } ?? .null
    }
}

/// A JSON object whose keys keep their order.
///
/// Its members in one array, in order; a key is found by looking along them, or through an
/// index made once an object grows past a few dozen members (a k6 summary's metrics). A
/// report's thousand small objects are built and written without hashing a key.
public struct JSONObject: Equatable, Sendable {
    /// The members in order.
    public private(set) var members: [(key: String, value: JSONValue)] = []
    /// Each key's place in `members`, once there are more than `indexedFrom`.
    private var index: [String: Int]?
    private static let indexedFrom = 24

    /// Creates an empty object.
    public init() {}

    /// Creates an object from ordered pairs; a later duplicate replaces the earlier value.
    public init(_ pairs: [(String, JSONValue)]) {
        members.reserveCapacity(pairs.count)
        for (key, value) in pairs { self[key] = value }
    }

    /// Creates an object from ordered pairs whose keys are distinct (a document's own members,
    /// checked in debug builds), without looking for duplicates: a check's report and stored
    /// evidence build a thousand objects of twenty members.
    public init(distinct pairs: [(String, JSONValue)]) {
        assert(Set(pairs.map(\.0)).count == pairs.count, "duplicate keys in \(pairs.map(\.0))")
        members = pairs.map { (key: $0.0, value: $0.1) }
        if members.count > Self.indexedFrom { reindex() }
    }

    /// The keys in order.
    public var keys: [String] { members.map(\.key) }

    /// The value of `key`; setting appends a new key at the end.
    public subscript(key: String) -> JSONValue? {
        get { place(of: key).map { members[$0].value } }
        set {
            switch (place(of: key), newValue) {
            case (let place?, let value?):
                members[place].value = value
            case (let place?, nil):
                members.remove(at: place)
                if index != nil { reindex() }
            case (nil, let value?):
                members.append((key, value))
                if index != nil {
                    index?[key] = members.count - 1
                } else if members.count > Self.indexedFrom {
                    reindex()
                }
            case (nil, nil):
                break
            }
        }
    }

    /// True when the object has no members.
    public var isEmpty: Bool { members.isEmpty }

    /// The number of members.
    public var count: Int { members.count }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    private func place(of key: String) -> Int? {
        if let index { return index[key] }
        return members.firstIndex { $0.key == key }
    }

    private mutating func reindex() {
        var index: [String: Int] = [:]
        index.reserveCapacity(members.count)
        for (place, member) in members.enumerated() { index[member.key] = place }
        self.index = index
    }
}

/// Parses RFC 8259 JSON strictly: no NaN or Infinity, no duplicate keys, bounded nesting, and
/// errors that give the line and column.
public struct JSONParser {
    /// The deepest nesting accepted.
    public static let maximumDepth = 64

    private let bytes: [UInt8]
    private var position = 0
    private var depth = 0

    /// Parses `bytes` as one JSON document (a UTF-8 BOM is allowed before it).
    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        var parser = JSONParser(bytes: bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.position = 3 }
        parser.skipWhitespace()
        if parser.position == bytes.count {
            throw parser.error("empty document")
        }
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.position != bytes.count {
            throw parser.error("unexpected data after the JSON document")
        }
        return value
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private func error(_ message: String) -> JSONSyntaxError {
        var line = 1
        var column = 1
        for byte in bytes[0..<min(position, bytes.count)] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return JSONSyntaxError(message: message, line: line, column: column)
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        guard position < bytes.count else { throw error("unexpected end of data") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case UInt8(ascii: "N"), UInt8(ascii: "I"):
            throw error("NaN and Infinity are not JSON numbers")
        default:
            throw error("unexpected character \(describe(bytes[position]))")
        }
    }

    private func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return String(format: "0x%02X", byte)
    }

    private mutating func expectWord(_ word: String) throws(JSONSyntaxError) {
        let utf8 = Array(word.utf8)
        guard position + utf8.count <= bytes.count,
            Array(bytes[position..<position + utf8.count]) == utf8
        else {
            throw error("invalid literal (expected \(word))")
        }
        position += utf8.count
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > Self.maximumDepth {
            throw error("nesting deeper than \(Self.maximumDepth) levels")
        }
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        position += 1
        var object = JSONObject()
        skipWhitespace()
        if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(object)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of data in object") }
            guard bytes[position] == UInt8(ascii: "\"") else {
                throw error("expected a string key in object")
            }
            let keyStart = position
            let key = try parseString()
            if object[key] != nil {
                position = keyStart
                throw error("duplicate key \"\(key)\"")
            }
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw error("expected ':' after object key")
            }
            position += 1
            skipWhitespace()
            object[key] = try parseValue()
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of data in object") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            if bytes[position] == UInt8(ascii: "}") {
                position += 1
                depth -= 1
                return .object(object)
            }
            throw error("expected ',' or '}' in object")
        }
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        position += 1
        var array: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(array)
        }
        while true {
            skipWhitespace()
            array.append(try parseValue())
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of data in array") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
                continue
            }
            if bytes[position] == UInt8(ascii: "]") {
                position += 1
                depth -= 1
                return .array(array)
            }
            throw error("expected ',' or ']' in array")
        }
    }

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        position += 1
        var scalars: [UInt8] = []
        var plainStart = position
        while true {
            guard position < bytes.count else { throw error("unterminated string") }
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                scalars.append(contentsOf: bytes[plainStart..<position])
                position += 1
                break
            }
            if byte < 0x20 {
                throw error("control character in string")
            }
            if byte == UInt8(ascii: "\\") {
                scalars.append(contentsOf: bytes[plainStart..<position])
                position += 1
                guard position < bytes.count else { throw error("unterminated string") }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): scalars.append(0x22)
                case UInt8(ascii: "\\"): scalars.append(0x5C)
                case UInt8(ascii: "/"): scalars.append(0x2F)
                case UInt8(ascii: "b"): scalars.append(0x08)
                case UInt8(ascii: "f"): scalars.append(0x0C)
                case UInt8(ascii: "n"): scalars.append(0x0A)
                case UInt8(ascii: "r"): scalars.append(0x0D)
                case UInt8(ascii: "t"): scalars.append(0x09)
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if (0xD800..<0xDC00).contains(code) {
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                            bytes[position + 1] == UInt8(ascii: "u")
                        else { throw error("unpaired surrogate in string") }
                        position += 2
                        let low = try parseHex4()
                        guard (0xDC00..<0xE000).contains(low) else {
                            throw error("unpaired surrogate in string")
                        }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(code) {
                        throw error("unpaired surrogate in string")
                    }
                    guard let scalar = Unicode.Scalar(code) else {
                        throw error("invalid \\u escape")
                    }
                    scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    position -= 1
                    throw error("invalid escape in string")
                }
                plainStart = position
                continue
            }
            position += 1
        }
        guard let string = String(validating: scalars, as: UTF8.self) else {
            throw error("invalid UTF-8 in string")
        }
        return string
    }

    private mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw error("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"):
                digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"):
                digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }

    private mutating func parseNumber() throws(JSONSyntaxError) -> JSONValue {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard position < bytes.count, isDigit(bytes[position]) else {
            throw error("invalid number")
        }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
        } else {
            while position < bytes.count && isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count && bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard position < bytes.count, isDigit(bytes[position]) else {
                throw error("invalid number")
            }
            while position < bytes.count && isDigit(bytes[position]) { position += 1 }
        }
        if position < bytes.count && (bytes[position] | 0x20) == UInt8(ascii: "e") {
            position += 1
            if position < bytes.count
                && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-"))
            {
                position += 1
            }
            guard position < bytes.count, isDigit(bytes[position]) else {
                throw error("invalid number")
            }
            while position < bytes.count && isDigit(bytes[position]) { position += 1 }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            position = start
            throw error("number out of range: \(text.prefix(40))")
        }
        return .number(value)
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}

/// A JSON syntax error with its position.
public struct JSONSyntaxError: Error, CustomStringConvertible, Sendable {
    /// What is wrong.
    public let message: String
    /// The 1-based line.
    public let line: Int
    /// The 1-based column (in characters).
    public let column: Int

    public var description: String { "line \(line), column \(column): \(message)" }
}

/// Writes JSON deterministically: keys in the order given, numbers in their shortest
/// round-trip form (integers without a fraction), two-space indentation when pretty.
public enum JSONWriter {
    /// Renders `value` as text, followed by a newline when pretty.
    public static func render(_ value: JSONValue, pretty: Bool = true) -> String {
        var out = Bytes()
        write(value, into: &out, indent: pretty ? 0 : nil)
        if pretty { out.append(newlineByte) }
        return out.text
    }

    /// ``render(_:pretty:)`` of `object` (pretty) handed to `write` in pieces of about
    /// `piece` bytes, with the member `key` an array of `count` elements each made by `element`
    /// when it is written: a long array is never whole in memory, as values or as text.
    ///
    /// The member's value in `object` only holds its place.
    public static func write(
        _ object: JSONObject, streaming key: String, count: Int,
        element: (Int) throws -> JSONValue, piece: Int = 1 << 16,
        to write: (String) throws -> Void
    ) throws {
        try stream(
            object, key, count: count, piece: piece,
            element: { index, out in self.write(try element(index), into: &out, indent: 2) },
            to: write)
    }

    /// As ``write(_:streaming:count:element:piece:to:)``, each element an object given as its
    /// members in order — the same text as `.object` of them, without building the object.
    public static func write(
        _ object: JSONObject, streaming key: String, count: Int,
        members: (Int) throws -> [(String, JSONValue)], piece: Int = 1 << 16,
        to write: (String) throws -> Void
    ) throws {
        try stream(
            object, key, count: count, piece: piece,
            element: { index, out in
                let pairs = try members(index)
                guard !pairs.isEmpty else { return out.append("{}") }
                out.append("{")
                for (position, (name, value)) in pairs.enumerated() {
                    if position > 0 { out.append(",") }
                    newline(into: &out, indent: 3)
                    writeString(name, into: &out)
                    out.append(": ")
                    self.write(value, into: &out, indent: 3)
                }
                newline(into: &out, indent: 2)
                out.append("}")
            }, to: write)
    }

    private static func stream(
        _ object: JSONObject, _ key: String, count: Int, piece: Int,
        element: (Int, inout Bytes) throws -> Void, to write: (String) throws -> Void
    ) throws {
        var out = Bytes()
        out.append("{")
        for (index, member) in object.members.enumerated() {
            if index > 0 { out.append(",") }
            newline(into: &out, indent: 1)
            writeString(member.key, into: &out)
            out.append(": ")
            guard member.key == key else {
                self.write(member.value, into: &out, indent: 1)
                continue
            }
            guard count > 0 else {
                out.append("[]")
                continue
            }
            out.append("[")
            for position in 0..<count {
                if position > 0 { out.append(",") }
                newline(into: &out, indent: 2)
                try element(position, &out)
                if out.count >= piece {
                    try write(out.text)
                    out = Bytes()
                }
            }
            newline(into: &out, indent: 1)
            out.append("]")
        }
        out.append(object.isEmpty ? "}" : "\n}")
        out.append("\n")
        try write(out.text)
    }

    /// The text being written, as UTF-8 bytes: appending bytes costs a copy, appending to a
    /// string also its bookkeeping (a check's JSON of a thousand series is a megabyte).
    struct Bytes {
        private var bytes: [UInt8] = []

        init(capacity: Int = 1 << 12) {
            bytes.reserveCapacity(capacity)
        }

        var count: Int { bytes.count }

        var text: String { String(decoding: bytes, as: UTF8.self) }

        mutating func append(_ text: String) {
            var text = text
            text.withUTF8 { bytes.append(contentsOf: $0) }
        }

        mutating func append(_ byte: UInt8) {
            bytes.append(byte)
        }

        mutating func append(_ text: StaticString) {
            text.withUTF8Buffer { bytes.append(contentsOf: $0) }
        }

        mutating func append(_ buffer: UnsafeBufferPointer<UInt8>) {
            bytes.append(contentsOf: buffer)
        }

        mutating func append(_ scalar: Unicode.Scalar) {
            UTF8.encode(scalar) { bytes.append($0) }
        }
    }

    private static let newlineByte = UInt8(ascii: "\n")

    private static func write(_ value: JSONValue, into out: inout Bytes, indent: Int?) {
        switch value {
        case .null: out.append("null")
        case .bool(let bool): out.append(bool ? "true" : "false")
        case .number(let number): writeNumber(number, into: &out)
        case .string(let string): writeString(string, into: &out)
        case .array(let array):
            if array.isEmpty {
                out.append("[]")
                return
            }
            out.append(UInt8(ascii: "["))
            for (index, element) in array.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(into: &out, indent: indent.map { $0 + 1 })
                write(element, into: &out, indent: indent.map { $0 + 1 })
            }
            newline(into: &out, indent: indent)
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            if object.isEmpty {
                out.append("{}")
                return
            }
            out.append(UInt8(ascii: "{"))
            for (index, member) in object.members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                newline(into: &out, indent: indent.map { $0 + 1 })
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                if indent != nil { out.append(UInt8(ascii: " ")) }
                write(member.value, into: &out, indent: indent.map { $0 + 1 })
            }
            newline(into: &out, indent: indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(into out: inout Bytes, indent: Int?) {
        guard let indent else { return }
        guard indent < indents.count else {
            return out.append("\n" + String(repeating: "  ", count: indent))
        }
        indents[indent].withUnsafeBufferPointer { out.append($0) }
    }

    /// A newline and the indentation of the first levels, made once.
    private static let indents = (0..<8).map {
        Array(("\n" + String(repeating: "  ", count: $0)).utf8)
    }

    /// ``formatNumber(_:)`` appended: a whole number's digits written in place.
    static func writeNumber(_ number: Double, into out: inout Bytes) {
        guard number.isFinite, number == number.rounded(),
            abs(number) < 9.007_199_254_740_992e15
        else { return out.append(formatNumber(number)) }
        var whole = Int64(number)
        if whole < 0 {
            out.append(UInt8(ascii: "-"))
            whole = -whole
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var at = 20
            repeat {
                at -= 1
                digits[at] = UInt8(ascii: "0") + UInt8(whole % 10)
                whole /= 10
            } while whole > 0
            out.append(UnsafeBufferPointer(UnsafeMutableBufferPointer(rebasing: digits[at...])))
        }
    }

    /// The shortest text that reads back as `number`; integral values without `.0`.
    public static func formatNumber(_ number: Double) -> String {
        guard number.isFinite else { return "null" }
        if number == number.rounded() && abs(number) < 9.007_199_254_740_992e15 {
            return String(Int64(number))
        }
        return number.description
    }

    static func writeString(_ string: String, into out: inout Bytes) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escape: appended whole (U+2028 and U+2029 begin with 0xE2),
        // their bytes scanned where they lie.
        var text = string
        let plain = text.withUTF8 { bytes in
            for byte in bytes where byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0xE2 {
                return false
            }
            out.append(bytes)
            return true
        }
        if plain {
            out.append(UInt8(ascii: "\""))
            return
        }
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case "\u{2028}": out.append("\\u2028")
            case "\u{2029}": out.append("\\u2029")
            default:
                if scalar.value < 0x20 {
                    out.append(String(format: "\\u%04x", scalar.value))
                } else {
                    out.append(scalar)
                }
            }
        }
        out.append("\"")
    }
}

extension JSONValue {
    /// A number, or null when there is none (as ``JSONValueEncoder`` writes a missing optional).
    public static func number(orNull value: Double?) -> JSONValue {
        value.map(JSONValue.number) ?? .null
    }
}

extension JSONValue: Encodable {
    /// Encodes the value as it is (``JSONValueEncoder`` takes it whole).
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let flag):
            var container = encoder.singleValueContainer()
            try container.encode(flag)
        case .number(let number):
            var container = encoder.singleValueContainer()
            try container.encode(number)
        case .string(let text):
            var container = encoder.singleValueContainer()
            try container.encode(text)
        case .array(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        case .object(let object):
            var container = encoder.container(keyedBy: ExactCodingKey.self)
            for (key, value) in object.members {
                try container.encode(value, forKey: ExactCodingKey(key))
            }
        }
    }
}
