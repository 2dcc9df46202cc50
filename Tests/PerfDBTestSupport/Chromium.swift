import Foundation

/// Headless Chromium, started by a test on a local file and stopped by its PID whatever
/// happens: each run has its own profile in a temporary folder, logs to a file, and is killed
/// with everything it started when it outlives its time.
public enum Chromium {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// What one run of the browser left.
    public struct Output: Sendable {
        /// Standard output (the DOM with `--dump-dom`).
        public var stdout: String
        /// The browser's log (`--enable-logging=stderr`).
        public var log: String

        /// The page's console messages (errors, CSP violations) from the log; Chromium's own
        /// noise (D-Bus, GPU, sandbox) is left out.
        public var consoleMessages: [String] {
            log.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        }

        /// Requests the browser refused or could not make: `net::ERR_…` and blocked loads.
        public var failedRequests: [String] {
            log.split(separator: "\n").filter { line in
                line.contains("net::ERR_") || line.contains("has been blocked")
                    || line.contains("Refused to")
            }.map(String.init)
        }
    }

    /// The browser: `PERFDB_CHROMIUM`, else Debian's /usr/bin/chromium.
    public static func binary() throws -> URL {
        let path =
            ProcessInfo.processInfo.environment["PERFDB_CHROMIUM"] ?? "/usr/bin/chromium"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw Failure(
                description:
                    "no Chromium at \(path); `make test` installs it (apt-get install chromium)")
        }
        return URL(fileURLWithPath: path)
    }

    /// Opens `page` headless with `arguments`, such as `--dump-dom` or `--screenshot=…`, and
    /// waits at most `timeout` seconds.
    public static func run(_ page: URL, _ arguments: [String], timeout: TimeInterval = 90) throws
        -> Output
    {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let stdout = directory.appending(path: "stdout")
        let stderr = directory.appending(path: "stderr")
        guard FileManager.default.createFile(atPath: stdout.path, contents: nil),
            FileManager.default.createFile(atPath: stderr.path, contents: nil)
        else { throw Failure(description: "cannot create the browser's log in \(directory.path)") }
        let process = Process()
        process.executableURL = try binary()
        process.arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
                "--force-color-profile=srgb", "--font-render-hinting=none",
                "--user-data-dir=\(directory.appending(path: "profile").path)",
                "--enable-logging=stderr", "--v=0",
            ] + arguments + [page.absoluteString]
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        let profile = directory.appending(path: "profile").path
        defer { stop(process, profile: profile) }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        if process.isRunning {
            throw Failure(description: "Chromium did not finish within \(Int(timeout)) s")
        }
        return Output(
            stdout: (try? String(contentsOf: stdout, encoding: .utf8)) ?? "",
            log: (try? String(contentsOf: stderr, encoding: .utf8)) ?? "")
    }

    /// Kills the browser, when it still runs, with every process it started: those below it,
    /// and any left over that names its profile folder (a helper the browser outlived).
    static func stop(_ process: Process, profile: String) {
        var pids: [Int32] = []
        if process.isRunning {
            pids = descendants(of: process.processIdentifier).reversed()
            pids.append(process.processIdentifier)
        }
        pids += processes(naming: profile).filter { !pids.contains($0) }
        for pid in pids { kill(pid, SIGKILL) }
        if process.isRunning { process.waitUntilExit() }
    }

    /// The processes whose command line contains `text`.
    static func processes(naming text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry),
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"),
                String(decoding: data, as: UTF8.self).contains(text)
            else { return nil }
            return pid
        }
    }

    /// The processes below `pid`, parents before their children.
    static func descendants(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var parents: [Int32: [Int32]] = [:]
        for entry in entries {
            guard let child = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // After "pid (name) " come the state and the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, let parent = Int32(fields[1]) else { continue }
            parents[parent, default: []].append(child)
        }
        var result: [Int32] = []
        var queue = parents[pid] ?? []
        while let next = queue.first {
            queue.removeFirst()
            result.append(next)
            queue += parents[next] ?? []
        }
        return result
    }
}
