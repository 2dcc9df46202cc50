import Foundation
import Logging
import NIOCore
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
    /// missing database is final at once. When `migrate` is true the schema is brought up to date; otherwise a
    /// database that needs migrations is refused.
    public static func open(
        _ url: PostgresURL, password: String?, connectTimeout: Duration = .seconds(30),
        migrate: Bool
    ) async throws -> PostgresWarehouse {
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
                let connection = try await PostgresConnection.connect(
                    configuration: configuration, id: attempt, logger: logger)
                let warehouse = PostgresWarehouse(
                    url: url, connection: connection, logger: logger)
                do {
                    try await warehouse.prepareSchema(migrate: migrate)
                } catch {
                    try? await connection.close()
                    throw error
                }
                return warehouse
            } catch let error as PSQLError where isTransient(error) {
                if clock.now + delay > deadline {
                    throw PerfDBError(
                        .busy,
                        "\(url.redacted): server unreachable after \(attempt) attempts in "
                            + "\(connectTimeout.components.seconds) s: \(describe(error))")
                }
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            } catch let error as PSQLError {
                throw PerfDBError(.io, "\(url.redacted): \(describe(error))")
            }
        }
    }

    /// Closes the connection.
    public func close() async {
        try? await connection.close()
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
        case .connectionError, .serverClosedConnection, .uncleanShutdown:
            return true
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            // 57P03 cannot_connect_now (starting up), 57P01 admin_shutdown, 53300 too many
            // connections, 08xxx connection exceptions.
            return ["57P03", "57P01", "57P02", "53300"].contains(state) || state.hasPrefix("08")
        default:
            return false
        }
    }

    /// One line for a PostgresNIO error, without the query text or the password.
    static func describe(_ error: PSQLError) -> String {
        if let message = error.serverInfo?[.message] {
            let state = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return message + state
        }
        if let underlying = error.underlying {
            return "\(underlying)"
        }
        return "\(error.code)"
    }
}
