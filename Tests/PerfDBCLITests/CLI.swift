import Foundation
import PerfDBTestSupport

/// Runs the built `perfdb` binary and captures what it prints and its exit code.
struct CLI {
    /// What one run of the binary did.
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The repository root.
    static let root = TestPaths.root

    /// The `perfdb` binary beside the test bundle.
    static let binary: URL = {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appending(path: "perfdb")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory),
                !isDirectory.boolValue
            {
                return candidate
            }
            directory = directory.deletingLastPathComponent()
        }
        return root.appending(path: ".build/debug/perfdb")
    }()

    /// A fixture's path.
    static func fixture(_ format: String, _ name: String) -> String {
        TestPaths.fixture(format, name)
    }

    /// A scratch directory with a database path in it.
    let directory: URL
    var db: String { directory.appending(path: "perf.sqlite").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appending(path: "perfdb-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Runs `perfdb ARGS` in the scratch directory with a clean environment (no CI variables);
    /// `launcher` is the command line that starts the binary, when it is not run directly.
    @discardableResult
    func run(
        _ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil,
        launcher: [String]? = nil
    ) throws -> Result {
        let process = Process()
        if let launcher {
            // A wrapper command (found on PATH) that runs the binary, e.g. `setpriv … perfdb`.
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = launcher + arguments
        } else {
            process.executableURL = CLI.binary
            process.arguments = arguments
        }
        process.currentDirectoryURL = directory
        var env = ["PATH": "/usr/bin:/bin", "HOME": directory.path, "PERFDB_DB": db]
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin {
            input.fileHandleForWriting.write(stdin)
        }
        try input.fileHandleForWriting.close()
        // Read both pipes concurrently so a full pipe cannot block the child.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs the system gzip with the arguments and returns what it wrote.
    static func gzip(_ arguments: [String]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip"] + arguments
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(data)
    }
}

extension CLI {
    /// The demo history (`tools/demo-db.sh`: 18 load runs, then 16 chaos experiments) ingested
    /// once per test process; each caller gets its own copy.
    private static let demoTemplate: Swift.Result<URL, any Error> = {
        Swift.Result {
            let directory = try TestPaths.temporaryDirectory()
            let path = directory.appending(path: "demo.sqlite")
            let build = Process()
            build.executableURL = TestPaths.root.appending(path: "tools/demo-db.sh")
            build.arguments = [binary.path, path.path]
            build.standardOutput = FileHandle.nullDevice
            try build.run()
            build.waitUntilExit()
            guard build.terminationStatus == 0 else {
                throw CocoaError(.fileWriteUnknown)
            }
            return path
        }
    }()

    /// Puts the demo team's perfdb.yml (its SLOs, advice and chaos targets) in the scratch
    /// directory, where the judging commands find it.
    func useDemoConfiguration() throws {
        try FileManager.default.copyItem(
            at: TestPaths.root.appending(path: "demo/perfdb.yml"),
            to: directory.appending(path: "perfdb.yml"))
    }

    /// A scratch directory whose database is a copy of the demo history.
    static func demo() throws -> CLI {
        let cli = try CLI()
        try FileManager.default.copyItem(
            at: try demoTemplate.get(), to: URL(fileURLWithPath: cli.db))
        return cli
    }
}
