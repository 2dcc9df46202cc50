import Foundation

/// The one error type perfdb reports: what went wrong, where, and the exit code it maps to.
public struct PerfDBError: Error, CustomStringConvertible, Sendable {
    /// The exit codes of docs/exit-codes.md.
    public enum Code: Int32, Sendable {
        case usage = 64
        case badInput = 65
        case inputNotFound = 66
        case `internal` = 70
        case io = 74
        case busy = 75
    }

    /// The exit code the error maps to.
    public let code: Code
    /// One line that says what is wrong and, where it helps, what to do.
    public let message: String

    /// Creates an error with its exit code and message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Bad input data in `file` (and at `location`, a line or field, when known).
    public static func badInput(_ file: String, _ problem: String, at location: String? = nil)
        -> PerfDBError
    {
        if let location {
            return PerfDBError(.badInput, "\(file): \(location): \(problem)")
        }
        return PerfDBError(.badInput, "\(file): \(problem)")
    }
}

extension PerfDBError {
    /// Refuses a curation without a reason (exit 64 with `message`): the log says why.
    public static func requireReason(_ reason: String, _ message: String) throws {
        if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw PerfDBError(.usage, message)
        }
    }
}
