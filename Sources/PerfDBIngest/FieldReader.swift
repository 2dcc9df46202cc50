import Foundation
import PerfDBModel

/// Reads typed fields out of a parsed JSON document, failing with an error that names the file
/// and the field's path (`metrics.http_reqs.values.count`).
struct FieldReader {
    /// The file name used in messages.
    let file: String

    /// Largest magnitude accepted for any figure: beyond it a value is taken as corrupt.
    static let absurdMagnitude = 1e15

    /// Fails unless the document's `version` is the one this adapter reads.
    func requireVersion(_ root: JSONObject, _ supported: Double) throws {
        let version = try number(root["version"], "version")
        guard version == supported else {
            throw fail("version", "unsupported version \(JSONWriter.formatNumber(version))")
        }
    }

    func fail(_ path: String, _ problem: String) -> PerfDBError {
        PerfDBError.badInput(file, problem, at: "field \(path)")
    }

    func object(_ value: JSONValue?, _ path: String) throws -> JSONObject {
        guard let value else { throw fail(path, "missing") }
        guard let object = value.objectValue else { throw fail(path, "expected an object") }
        return object
    }

    func array(_ value: JSONValue?, _ path: String) throws -> [JSONValue] {
        guard let value else { throw fail(path, "missing") }
        guard let array = value.arrayValue else { throw fail(path, "expected an array") }
        return array
    }

    func string(_ value: JSONValue?, _ path: String) throws -> String {
        guard let value else { throw fail(path, "missing") }
        guard let string = value.stringValue else { throw fail(path, "expected a string") }
        return string
    }

    func optionalString(_ value: JSONValue?, _ path: String) throws -> String? {
        guard let value, !value.isNull else { return nil }
        guard let string = value.stringValue else { throw fail(path, "expected a string") }
        return string
    }

    func bool(_ value: JSONValue?, _ path: String) throws -> Bool {
        guard let value else { throw fail(path, "missing") }
        guard let bool = value.boolValue else { throw fail(path, "expected true or false") }
        return bool
    }

    func optionalBool(_ value: JSONValue?, _ path: String) throws -> Bool? {
        guard let value, !value.isNull else { return nil }
        guard let bool = value.boolValue else { throw fail(path, "expected true or false") }
        return bool
    }

    func number(_ value: JSONValue?, _ path: String, in range: ClosedRange<Double>? = nil) throws
        -> Double
    {
        guard let value else { throw fail(path, "missing") }
        guard let number = value.numberValue else { throw fail(path, "expected a number") }
        return try check(number, path, in: range)
    }

    func optionalNumber(_ value: JSONValue?, _ path: String, in range: ClosedRange<Double>? = nil)
        throws -> Double?
    {
        guard let value, !value.isNull else { return nil }
        guard let number = value.numberValue else { throw fail(path, "expected a number") }
        return try check(number, path, in: range)
    }

    func count(_ value: JSONValue?, _ path: String) throws -> Int {
        let number = try self.number(value, path, in: 0...Self.absurdMagnitude)
        guard number == number.rounded() else {
            throw fail(path, "expected a whole count, got \(JSONWriter.formatNumber(number))")
        }
        return Int(number)
    }

    func optionalCount(_ value: JSONValue?, _ path: String) throws -> Int? {
        guard let value, !value.isNull else { return nil }
        return try count(value, path)
    }

    func timestamp(_ value: JSONValue?, _ path: String) throws -> Date {
        let text = try string(value, path)
        guard let date = Timestamp.parse(text) else {
            throw fail(path, "not an ISO 8601 timestamp: \"\(text.prefix(40))\"")
        }
        return date
    }

    func optionalTimestamp(_ value: JSONValue?, _ path: String) throws -> Date? {
        guard let value, !value.isNull else { return nil }
        return try timestamp(value, path)
    }

    func oneOf<T: RawRepresentable & CaseIterable>(
        _ type: T.Type, _ value: JSONValue?, _ path: String
    )
        throws -> T where T.RawValue == String
    {
        let text = try string(value, path)
        guard let result = T(rawValue: text) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw fail(path, "\"\(text.prefix(40))\" is not one of \(allowed)")
        }
        return result
    }

    private func check(_ number: Double, _ path: String, in range: ClosedRange<Double>?) throws
        -> Double
    {
        guard abs(number) <= Self.absurdMagnitude else {
            throw fail(path, "absurd value \(JSONWriter.formatNumber(number))")
        }
        if let range, !range.contains(number) {
            throw fail(
                path,
                "value \(JSONWriter.formatNumber(number)) outside "
                    + "\(JSONWriter.formatNumber(range.lowerBound))…"
                    + "\(JSONWriter.formatNumber(range.upperBound))")
        }
        return number
    }
}
