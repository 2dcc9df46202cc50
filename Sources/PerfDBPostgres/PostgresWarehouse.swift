import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PerfDBModel
import PostgresNIO

/// The warehouse on a PostgreSQL server: one connection, opened with retries until the
/// connect timeout, and the schema brought up to date under an advisory lock.
public final class PostgresWarehouse: Sendable {
    public let url: PostgresURL
    let connection: PostgresConnection
    let logger: Logger

    /// The advisory lock every perfdb takes while it migrates a database ("perfdb" in ASCII).
    static let migrationLock: Int64 = 0x7065_7266_6462

    private init(url: PostgresURL, connection: PostgresConnection, logger: Logger) {
        self.url = url
        self.connection = connection
        self.logger = logger
    }

    /// Connects, retrying with backoff while the server is unreachable or starting.
    ///
    /// After `connectTimeout` it gives up with exit 75 and one line. A refused login or a
    /// missing database is final at once. When `migrate` is true the schema is brought up to
    /// date (and created when `create` is set, else a database without it is exit 66);
    /// otherwise a database that needs migrations is refused. Synchronous, as the
    /// commands are: call it outside the connection's event loop.
    public static func open(
        _ url: PostgresURL, password: String?, connectTimeout: Duration = .seconds(30),
        migrate: Bool, create: Bool = true
    ) throws -> PostgresWarehouse {
        var logger = Logger(label: "perfdb.postgresql")
        logger.logLevel = .critical
        let configuration = try configuration(url, password: password)
        let clock = ContinuousClock()
        let deadline = clock.now + connectTimeout
        var delay = Duration.milliseconds(100)
        var attempt = 0
        while true {
            attempt += 1
            do {
                let connection = try PostgresConnection.connect(
                    on: PostgresConnection.defaultEventLoopGroup.any(),
                    configuration: configuration, id: attempt, logger: logger
                ).wait()
                let warehouse = PostgresWarehouse(
                    url: url, connection: connection, logger: logger)
                do {
                    try warehouse.prepareSchema(migrate: migrate, create: create)
                } catch {
                    warehouse.close()
                    throw error
                }
                return warehouse
            } catch let error as PSQLError where isTransient(error) {
                try wait(after: error, attempt: attempt, delay: &delay, until: deadline, url: url)
            } catch let error as PerfDBError where error.code == .busy {
                // The connection went while the schema was read: as unreachable.
                try wait(after: error, attempt: attempt, delay: &delay, until: deadline, url: url)
            } catch let error as PSQLError
                where error.serverInfo?[.sqlState] == "3D000"
            {
                // invalid_catalog_name: as a missing file.
                throw PerfDBError(.inputNotFound, "\(url.redacted): \(describe(error))")
            } catch let error as PSQLError {
                throw PerfDBError(.io, "\(url.redacted): \(describe(error))")
            }
        }
    }

    /// Sleeps before the next attempt, or gives up with exit 75 when that would pass the
    /// deadline.
    private static func wait(
        after error: any Error, attempt: Int, delay: inout Duration,
        until deadline: ContinuousClock.Instant, url: PostgresURL
    ) throws {
        let clock = ContinuousClock()
        let remaining = deadline - clock.now
        if remaining <= .zero {
            let reason =
                (error as? PSQLError).map(describe) ?? (error as? PerfDBError)?.message
                ?? "\(error)"
            throw PerfDBError(
                .busy,
                "\(url.redacted): server unreachable after \(attempt) attempts: \(reason)")
        }
        // The last attempt is made at the deadline.
        let (seconds, attoseconds) = min(delay, remaining).components
        Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
        delay = min(delay * 2, .seconds(2))
    }

    /// Whether the connection has closed (the server went away, or `close`).
    var isClosed: Bool { connection.isClosed }

    /// Closes the connection.
    public func close() {
        try? connection.close().wait()
    }

    deinit {
        // A warehouse left on an error path still hangs up.
        if !connection.isClosed {
            // The future keeps the connection until it is closed.
            let connection = connection
            let closing: EventLoopFuture<Void> = connection.close()
            closing.whenComplete { _ in withExtendedLifetime(connection) {} }
        }
    }

    // MARK: - Connecting

    static func configuration(_ url: PostgresURL, password: String?) throws
        -> PostgresConnection.Configuration
    {
        if url.host.hasPrefix("/") {
            return PostgresConnection.Configuration(
                unixSocketPath: "\(url.host)/.s.PGSQL.\(url.port)", username: url.user,
                password: password, database: url.database)
        }
        let tls: PostgresConnection.Configuration.TLS
        switch url.sslMode {
        case .disable:
            tls = .disable
        case .prefer, .require:
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification = .none
            let context = try NIOSSLContext(configuration: settings)
            tls = url.sslMode == .prefer ? .prefer(context) : .require(context)
        case .verifyCA, .verifyFull:
            var settings = TLSConfiguration.makeClientConfiguration()
            settings.certificateVerification =
                url.sslMode == .verifyFull ? .fullVerification : .noHostnameVerification
            if let file = url.sslRootCert {
                do {
                    settings.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(file))
                } catch {
                    throw PerfDBError(.io, "\(file): cannot read the CA certificates: \(error)")
                }
            }
            tls = .require(try NIOSSLContext(configuration: settings))
        }
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: password,
            database: url.database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.additionalStartupParameters = [("application_name", "perfdb")]
        return configuration
    }

    /// Whether waiting may help: the server cannot be reached, is starting or shutting down,
    /// or dropped the connection.
    static func isTransient(_ error: PSQLError) -> Bool {
        switch error.code {
        case .connectionError where error.underlying is NIOSSLError:
            // A certificate that does not verify stays so: final at once.
            return false
        case .connectionError, .serverClosedConnection, .uncleanShutdown:
            return true
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            // 57P03 cannot_connect_now (starting up), 57P01 admin_shutdown, 53300 too many
            // connections, 08xxx connection exceptions.
            // 40P01 deadlock and 40001 serialization failures: the transaction was rolled back
            // and may be run again.
            return ["57P03", "57P01", "57P02", "53300", "40P01", "40001"].contains(state)
                || state.hasPrefix("08")
        default:
            return false
        }
    }

    /// The error a command reports for a PostgresNIO error: exit 75 when the connection was
    /// lost or the server is restarting (waiting may help), else exit 74.
    static func translate(_ error: PSQLError, url: PostgresURL) -> PerfDBError {
        PerfDBError(isTransient(error) ? .busy : .io, "\(url.redacted): \(describe(error))")
    }

    /// Decodes a row's columns.
    static func decode<T: PostgresDecodable>(_ row: PostgresRow, as type: T.Type) throws -> T {
        try row.decode(T.self)
    }

    /// Decodes a row's columns as a tuple.
    static func decode<each T: PostgresDecodable>(
        _ row: PostgresRow, as type: (repeat each T).Type
    ) throws -> (repeat each T) {
        try row.decode((repeat each T).self)
    }

    /// Whether an operation that failed with `error` may run again on a new connection.
    ///
    /// It may when the connection is gone, or the server rolled the transaction back in a
    /// deadlock or a serialization conflict; a cancelled statement (a timeout) is not run again.
    func mayRepeat(after error: PerfDBError) -> Bool {
        guard error.code == .busy else { return false }
        return connection.isClosed || error.message.hasSuffix("(SQLSTATE 40P01)")
            || error.message.hasSuffix("(SQLSTATE 40001)")
    }

    /// One line for a PostgresNIO error, without the query text or the password.
    static func describe(_ error: PSQLError) -> String {
        if let message = error.serverInfo?[.message] {
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return message + state
        }
        if let underlying = error.underlying {
            // NIO's connection errors nest the system error; its errno says it plainly.
            if let failure = underlying as? NIOConnectionError,
                let last = failure.connectionErrors.last
            {
                let cause = (last.error as? IOError).map { String(cString: strerror($0.errnoCode)) }
                return
                    "cannot connect to \(failure.host):\(failure.port): \(cause ?? "\(last.error)")"
            }
            if let io = underlying as? IOError { return String(cString: strerror(io.errnoCode)) }
            if let tls = underlying as? NIOSSLError {
                return "\(tls)".contains("CERTIFICATE_VERIFY_FAILED")
                    ? "TLS: the server's certificate does not verify (sslmode, sslrootcert)"
                    : "TLS handshake failed: \(tls)"
            }
            return "\(underlying)"
        }
        return "\(error.code)"
    }
}
