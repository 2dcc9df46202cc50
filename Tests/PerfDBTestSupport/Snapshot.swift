import Foundation

/// Paths of the repository's test data, shared by the test targets.
public enum TestPaths {
    /// The repository root.
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A fixture made by a real tool: `Tests/Fixtures/<format>/<name>`.
    public static func fixture(_ format: String, _ name: String) -> String {
        root.appending(path: "Tests/Fixtures/\(format)/\(name)").path
    }

    /// A fresh scratch directory.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appending(path: "perfdb-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Golden files under Tests/Snapshots: re-recorded with `PERFDB_RECORD=1` (which fails the
/// test, so no run passes while recording), reviewed as diffs.
public enum Snapshot {
    /// Nil when `actual` equals the golden file `name`; otherwise what differs.
    public static func mismatch(_ actual: String, named name: String) -> String? {
        let url = TestPaths.root.appending(path: "Tests/Snapshots/\(name)")
        if ProcessInfo.processInfo.environment["PERFDB_RECORD"] == "1" {
            // Recording fails the test, so a run in record mode can never pass.
            do {
                try actual.write(to: url, atomically: true, encoding: .utf8)
                return "recorded \(name); review the diff and run again without PERFDB_RECORD"
            } catch {
                return "cannot record \(name): \(error)"
            }
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            return "missing snapshot \(name); record it with PERFDB_RECORD=1"
        }
        if actual == expected { return nil }
        let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let expectedLines = expected.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(actualLines.count, expectedLines.count) {
            let got = index < actualLines.count ? String(actualLines[index]) : "<none>"
            let want = index < expectedLines.count ? String(expectedLines[index]) : "<none>"
            if got != want {
                return
                    "snapshot \(name) differs at line \(index + 1):\n  expected: \(want)\n  actual:   \(got)"
            }
        }
        return "snapshot \(name) differs"
    }
}
