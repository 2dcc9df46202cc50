import Foundation

/// A server program from Debian's packages (Prometheus, a Pushgateway, Alertmanager) started by
/// a test on a free loopback port in a temporary folder, and stopped by its PID.
///
/// `stop()` (also run on deinit) sends SIGTERM, then SIGKILL after five seconds; a watchdog
/// process kills the server if the test process dies first, so none outlives a run.
public final class LoopbackServer: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let port: Int
    /// The folder the server runs in; its log is `server.log` there.
    public let directory: URL
    private let process: Process

    /// `http://127.0.0.1:PORT`.
    public var url: String { "http://127.0.0.1:\(port)" }
    public var pid: Int32 { process.processIdentifier }

    /// Starts `executable` with the arguments `arguments(port, directory)` gives, then waits
    /// until `GET readyPath` answers 200 (up to 30 s).
    public init(
        _ executable: String, readyPath: String,
        arguments: (_ port: Int, _ directory: URL) throws -> [String]
    ) throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw Failure(
                description: "\(executable) is missing: `make test-deps` installs it")
        }
        port = try PostgresCluster.freePort()
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("perfdb-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = try arguments(port, directory)
        process.currentDirectoryURL = directory
        let log = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        Self.watch(process.processIdentifier, directory: directory)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if (try? Self.get(url + readyPath).status) == 200 { return }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        stop()
        throw Failure(
            description: "\(executable) did not answer on port \(port): \(text.suffix(2000))")
    }

    deinit { stop() }

    /// Stops the server by its PID and removes its folder.
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The server's log so far.
    public var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("server.log"), encoding: .utf8))
            ?? ""
    }

    /// A GET with curl (Debian's): status and body.
    public static func get(_ url: String) throws -> (status: Int, body: String) {
        try curl(["-s", "-m", "5", "-w", "\n%{http_code}", url])
    }

    /// curl with `arguments`, whose output ends in a line with the status code.
    public static func curl(_ arguments: [String]) throws -> (status: Int, body: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard let newline = text.lastIndex(of: "\n"),
            let status = Int(text[text.index(after: newline)...])
        else { throw Failure(description: "curl \(arguments.last ?? ""): no answer") }
        return (status, String(text[..<newline]))
    }

    private static func watch(_ pid: Int32, directory: URL) {
        let watchdog = Process()
        watchdog.executableURL = URL(fileURLWithPath: "/bin/sh")
        watchdog.arguments = [
            "-c",
            "while kill -0 \(getpid()) 2>/dev/null && kill -0 \(pid) 2>/dev/null; do sleep 1; done; "
                + "kill -0 \(getpid()) 2>/dev/null || { kill -9 \(pid) 2>/dev/null; rm -rf '\(directory.path)' 2>/dev/null; }; true",
        ]
        watchdog.standardOutput = FileHandle.nullDevice
        watchdog.standardError = FileHandle.nullDevice
        try? watchdog.run()
    }
}
