import Foundation

/// A throw-away PostgreSQL cluster for one test process.
///
/// `initdb` runs in a temporary folder (owned by `nobody` when the tests run as root, since the
/// server refuses to run as root); the server listens on a free loopback port and on a Unix
/// socket in that folder and is stopped by its PID. A watchdog process stops the server too if
/// the test process dies first, so no server outlives a run.
///
/// The superuser `perfdb` may connect over the socket without a password; over TCP every role
/// needs its password (SCRAM), as on a real server.
public final class PostgresCluster: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The folder that holds the data directory, the socket and the server log.
    public let directory: URL
    public let port: Int
    /// The server's process id (a new one after `restartImmediately`).
    public var pid: Int32 {
        lock.lock()
        defer { lock.unlock() }
        return serverPID
    }
    private let lock = NSLock()
    private var serverPID: Int32
    /// The superuser's password over TCP.
    public let password: String
    private let binaries: URL
    private let owner: String?

    /// The cluster this test process shares, started on first use.
    public static func shared() throws -> PostgresCluster {
        try sharedCluster.get()
    }

    private static let sharedCluster = Result(catching: { try PostgresCluster.start() })

    /// The folder of `initdb`, `postgres`, `pg_ctl` and `psql`: `PERFDB_PG_BIN`, else the newest
    /// `/usr/lib/postgresql/N/bin`.
    public static func binaries() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["PERFDB_PG_BIN"] {
            return URL(fileURLWithPath: path)
        }
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        guard
            let newest = versions.compactMap(Int.init).sorted().last(where: {
                FileManager.default.isExecutableFile(atPath: "\(root)/\($0)/bin/postgres")
            })
        else {
            throw Failure(
                description:
                    "no PostgreSQL server under \(root); `make test` installs it (apt-get install postgresql)"
            )
        }
        return URL(fileURLWithPath: "\(root)/\(newest)/bin")
    }

    /// The certificate authority that signed the server's certificate, when the cluster was
    /// started with TLS.
    public var certificateAuthority: URL { directory.appending(path: "tls/ca.crt") }

    /// Creates and starts a cluster; with `tls`, the server also speaks TLS with a certificate
    /// for `localhost` and 127.0.0.1 signed by a certificate authority of its own
    /// (`certificateAuthority`).
    public static func start(tls: Bool = false) throws -> PostgresCluster {
        let binaries = try binaries()
        let directory = try TestPaths.temporaryDirectory()
        let owner: String? = geteuid() == 0 ? "nobody" : nil
        let password = UUID().uuidString
        try password.write(
            to: directory.appending(path: "pwfile"), atomically: true, encoding: .utf8)
        if let owner {
            try run("/bin/chown", ["-R", "\(owner):", directory.path])
        }
        let data = directory.appending(path: "data").path
        try run(
            binaries.appending(path: "initdb").path,
            [
                "-D", data, "-U", "perfdb", "--pwfile", directory.appending(path: "pwfile").path,
                "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale",
                "--no-sync",
            ], as: owner)
        if tls { try makeCertificates(in: directory, data: data, owner: owner) }
        let port = try freePort()
        let log = directory.appending(path: "server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        if let owner { try run("/bin/chown", ["\(owner):", log.path]) }
        let pid = try launch(binaries: binaries, directory: directory, port: port, owner: owner)
        let cluster = PostgresCluster(
            directory: directory, port: port, pid: pid, password: password,
            binaries: binaries, owner: owner)
        cluster.watchTestProcess()
        try cluster.waitUntilReady(log: log)
        return cluster
    }

    /// A certificate authority and a server certificate signed by it (openssl), and the
    /// server's settings to use them.
    private static func makeCertificates(in directory: URL, data: String, owner: String?) throws {
        let tls = directory.appending(path: "tls")
        try FileManager.default.createDirectory(at: tls, withIntermediateDirectories: true)
        let path = { (name: String) in tls.appending(path: name).path }
        try run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"),
                "-out", path("ca.crt"), "-days", "2", "-subj", "/CN=perfdb test authority",
            ])
        try run(
            "/usr/bin/openssl",
            [
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"),
                "-out", path("server.csr"), "-subj", "/CN=localhost",
            ])
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(
            toFile: path("extensions"), atomically: true, encoding: .utf8)
        try run(
            "/usr/bin/openssl",
            [
                "x509", "-req", "-in", path("server.csr"), "-CA", path("ca.crt"), "-CAkey",
                path("ca.key"), "-CAcreateserial", "-out", path("server.crt"), "-days", "2",
                "-extfile", path("extensions"),
            ])
        try FileManager.default.setAttributes(
            [.posixPermissions: 0o600], ofItemAtPath: path("server.key"))
        if let owner { try run("/bin/chown", ["-R", "\(owner):", tls.path]) }
        let settings =
            "\nssl = on\nssl_cert_file = '\(path("server.crt"))'\n"
            + "ssl_key_file = '\(path("server.key"))'\n"
        let configuration = try FileHandle(
            forWritingTo: URL(fileURLWithPath: data + "/postgresql.conf"))
        try configuration.seekToEnd()
        try configuration.write(contentsOf: Data(settings.utf8))
        try configuration.close()
    }

    /// Starts the server of the cluster in `directory` and returns its PID.
    private static func launch(binaries: URL, directory: URL, port: Int, owner: String?) throws
        -> Int32
    {
        let server = Process()
        let (executable, arguments) = command(
            binaries.appending(path: "postgres").path,
            [
                "-D", directory.appending(path: "data").path, "-p", String(port),
                "-k", directory.path, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                "-c", "max_connections=100", "-c", "shared_buffers=32MB",
            ], as: owner)
        server.executableURL = URL(fileURLWithPath: executable)
        server.arguments = arguments
        let log = try FileHandle(forWritingTo: directory.appending(path: "server.log"))
        try log.seekToEnd()
        server.standardOutput = log
        server.standardError = log
        try server.run()
        return server.processIdentifier
    }

    private init(
        directory: URL, port: Int, pid: Int32, password: String, binaries: URL, owner: String?
    ) {
        self.directory = directory
        self.port = port
        self.serverPID = pid
        self.password = password
        self.binaries = binaries
        self.owner = owner
    }

    /// A URL for `--db` that reaches `database` over TCP as the superuser, without the password
    /// (give it in `PGPASSWORD`).
    public func url(database: String, user: String = "perfdb") -> String {
        "postgresql://\(user)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// Creates an empty database and returns its name.
    public func createDatabase(_ prefix: String = "t") throws -> String {
        let name = "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
        try psql("CREATE DATABASE \(name)", database: "postgres", transaction: false)
        return name
    }

    /// Runs SQL with psql over the socket as the superuser, all statements in one transaction
    /// unless `transaction` is false, and returns the rows unaligned, one line each, columns
    /// separated by `|`.
    @discardableResult
    public func psql(_ sql: String, database: String, transaction: Bool = true) throws -> String {
        try Self.run(
            binaries.appending(path: "psql").path,
            [
                "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", directory.path,
                "-p", String(port), "-U", "perfdb", "-d", database, "-f", "-",
            ] + (transaction ? ["-1"] : []), input: sql)
    }

    /// `pg_dump --schema-only` of a database, without the lines that name the dump's own run.
    public func schemaDump(database: String) throws -> String {
        let dump = try Self.run(
            binaries.appending(path: "pg_dump").path,
            [
                "--schema-only", "--no-owner", "--no-privileges", "-h", directory.path,
                "-p", String(port), "-U", "perfdb", database,
            ])
        return
            dump
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { line in
                !["--", "SET ", "SELECT pg_catalog", "\\restrict", "\\unrestrict"].contains {
                    line.hasPrefix($0)
                }
            }
            .joined(separator: "\n")
            .replacingOccurrences(of: "\n\n\n+", with: "\n\n", options: .regularExpression)
            .trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
    }

    /// Restarts the server as `pg_ctl restart -m immediate` does: SIGQUIT, so that it quits at
    /// once as in a crash (open transactions lost, connections dropped, crash recovery on the
    /// next start), then starts it again on the same port.
    public func restartImmediately() throws {
        let old = pid
        kill(old, SIGQUIT)
        let deadline = Date().addingTimeInterval(30)
        while Self.isRunning(old), Date() < deadline { usleep(20_000) }
        let new = try Self.launch(
            binaries: binaries, directory: directory, port: port, owner: owner)
        lock.lock()
        serverPID = new
        lock.unlock()
        try waitUntilReady(log: directory.appending(path: "server.log"))
    }

    /// True while `pid` runs (a zombie waiting to be reaped has stopped running).
    private static func isRunning(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return
            !(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces)
            .hasPrefix("Z") ?? false)
    }

    /// Stops the server by its PID (fast shutdown, then SIGKILL after 20 s) and removes the folder.
    public func stop() {
        kill(pid, SIGINT)
        let deadline = Date().addingTimeInterval(20)
        while kill(pid, 0) == 0, Date() < deadline { usleep(50_000) }
        if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - Starting

    private func waitUntilReady(log: URL) throws {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if (try? Self.run(
                binaries.appending(path: "pg_isready").path,
                ["-q", "-h", directory.path, "-p", String(port)])) != nil
            {
                return
            }
            if kill(pid, 0) != 0 { break }
            usleep(100_000)
        }
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        stop()
        throw Failure(description: "PostgreSQL did not start:\n\(text)")
    }

    /// A shell that stops the server when this test process is gone.
    private func watchTestProcess() {
        let watchdog = Process()
        watchdog.executableURL = URL(fileURLWithPath: "/bin/sh")
        watchdog.arguments = [
            "-c",
            "pidfile='\(directory.path)/data/postmaster.pid'; "
                + "while kill -0 \(getpid()) 2>/dev/null && [ -d '\(directory.path)' ]; do sleep 1; done; "
                + "[ -f \"$pidfile\" ] && kill -INT \"$(head -1 \"$pidfile\")\" 2>/dev/null; "
                + "rm -rf '\(directory.path)' 2>/dev/null || true",
        ]
        watchdog.standardOutput = FileHandle.nullDevice
        watchdog.standardError = FileHandle.nullDevice
        try? watchdog.run()
    }

    /// A loopback port nothing listened on a moment ago.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "no free port: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The command line that runs `executable` as `owner` (with setpriv) or as this process.
    private static func command(_ executable: String, _ arguments: [String], as owner: String?)
        -> (String, [String])
    {
        guard let owner else { return (executable, arguments) }
        return (
            "/usr/bin/setpriv",
            ["--reuid=\(owner)", "--regid=nogroup", "--clear-groups", "--", executable]
                + arguments
        )
    }

    /// Runs a command to its end and returns its standard output; throws with its standard
    /// error when it fails.
    @discardableResult
    static func run(
        _ executable: String, _ arguments: [String], as owner: String? = nil, input: String? = nil
    ) throws -> String {
        let (path, words) = command(executable, arguments, as: owner)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = words
        process.currentDirectoryURL = URL(fileURLWithPath: "/")
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(
                description:
                    "\((executable as NSString).lastPathComponent) exited \(process.terminationStatus): "
                    + String(decoding: errData, as: UTF8.self))
        }
        return String(decoding: outData, as: UTF8.self)
    }
}
