import Foundation
import Testing

@testable import perfdb

/// Reports handed to the output in pieces arrive whole and in order, on standard output as in
/// a file.
@Suite struct ReportWritingTests {
    /// Pieces of many sizes, multi-byte characters among them, far more than one 64 KiB piece of
    /// standard output in all.
    static let pieces = (0..<5_000).map {
        "line \($0) " + String(repeating: "é", count: $0 % 40) + "\n"
    }

    @Test func piecesReachStandardOutputWholeAndInOrder() throws {
        let cli = try CLI()
        let path = cli.directory.appending(path: "stdout.txt")
        #expect(FileManager.default.createFile(atPath: path.path, contents: nil))
        let handle = try FileHandle(forWritingTo: path)
        try Report.writing(to: "-", standardOutput: handle) { write in
            for piece in Self.pieces { try write(piece) }
        }
        try handle.close()
        let text = Self.pieces.joined()
        #expect(text.utf8.count > 3 << 16)
        #expect(try String(contentsOf: path, encoding: .utf8) == text)
    }

    @Test func piecesReachAFileWhole() throws {
        let cli = try CLI()
        let path = cli.directory.appending(path: "report.txt").path
        try Report.writing(to: path) { write in
            for piece in Self.pieces { try write(piece) }
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == Self.pieces.joined())
    }
}
