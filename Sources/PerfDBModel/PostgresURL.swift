import Foundation

/// A PostgreSQL connection URL.
///
/// The form is `postgresql://user[:password]@host[:port]/dbname?sslmode=…&sslrootcert=…`
/// (`postgres://` too). The password is never printed: `redacted` is the form for messages.
public struct PostgresURL: Sendable, Equatable {
    /// libpq's `sslmode` values that perfdb honours.
    public enum SSLMode: String, Sendable, CaseIterable {
        /// No TLS.
        case disable
        /// TLS when the server offers it, without checking its certificate.
        case prefer
        /// TLS or no connection, without checking the certificate.
        case require
        /// TLS, the certificate signed by the CA of `sslrootcert` (or the system's).
        case verifyCA = "verify-ca"
        /// As `verify-ca`, and the certificate names the host.
        case verifyFull = "verify-full"
    }

    public var user: String
    /// The password written in the URL, if any.
    public var password: String?
    /// A host name or address; a path (starting with `/`) is the folder of a Unix socket.
    public var host: String
    public var port: Int
    public var database: String
    public var sslMode: SSLMode
    /// A PEM file of the certificate authorities to trust (`sslrootcert`).
    public var sslRootCert: String?

    /// Whether `text` names a PostgreSQL database rather than a SQLite file.
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
    }

    /// Parses a URL; `environment` supplies libpq's defaults (`PGUSER`, `PGHOST`, `PGPORT`,
    /// `PGDATABASE`, `PGSSLMODE`, `PGSSLROOTCERT`) for the parts the URL leaves out.
    public init(parsing text: String, environment: [String: String] = [:]) throws {
        guard Self.isPostgres(text), let components = URLComponents(string: text) else {
            throw PerfDBError(
                .usage,
                "--db \(Self.redact(text)): not a PostgreSQL URL "
                    + "(postgresql://user@host:port/dbname?sslmode=…)")
        }
        func fail(_ problem: String) -> PerfDBError {
            PerfDBError(.usage, "--db \(Self.redact(text)): \(problem)")
        }
        user =
            components.user?.removingPercentEncoding ?? environment["PGUSER"]
            ?? ProcessInfo.processInfo.userName
        password = components.password?.removingPercentEncoding
        let socketHost = components.queryItems?.first { $0.name == "host" }?.value
        host =
            socketHost ?? components.host.map {
                $0.hasPrefix("[") ? String($0.dropFirst().dropLast()) : $0
            }.flatMap { $0.isEmpty ? nil : $0 } ?? environment["PGHOST"] ?? "localhost"
        if let port = components.port {
            self.port = port
        } else if let text = environment["PGPORT"] {
            guard let port = Int(text) else { throw fail("PGPORT \(text) is not a port") }
            self.port = port
        } else {
            port = 5432
        }
        guard (1...65535).contains(port) else { throw fail("port \(port) is out of range") }
        let path = components.path.drop { $0 == "/" }
        database =
            path.isEmpty
            ? environment["PGDATABASE"] ?? user
            : String(path).removingPercentEncoding ?? String(path)
        sslMode = .prefer
        if let mode = environment["PGSSLMODE"] {
            guard let parsed = SSLMode(rawValue: mode) else {
                throw fail("PGSSLMODE \(mode) is not one of \(Self.modes)")
            }
            sslMode = parsed
        }
        sslRootCert = environment["PGSSLROOTCERT"]
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let parsed = SSLMode(rawValue: value) else {
                    throw fail("sslmode \(item.value ?? "") is not one of \(Self.modes)")
                }
                sslMode = parsed
            case "sslrootcert":
                sslRootCert = item.value
            case "port":
                // libpq's form for a socket, whose path leaves no place for a port.
                guard let value = item.value, let number = Int(value), (1...65535).contains(number)
                else { throw fail("port \(item.value ?? "") is not a port") }
                port = number
            case "host", "application_name", "connect_timeout":
                break
            default:
                throw fail("unknown parameter \(item.name)")
            }
        }
    }

    private static let modes = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")

    /// The URL with the password replaced by `***`, for messages and logs.
    public var redacted: String {
        var text = "postgresql://\(user)\(password == nil ? "" : ":***")@"
        text += host.contains(":") ? "[\(host)]" : host
        text += ":\(port)/\(database)?sslmode=\(sslMode.rawValue)"
        if let sslRootCert { text += "&sslrootcert=\(sslRootCert)" }
        return text
    }

    /// `text` with anything between `scheme://user:` and `@` replaced by `***`.
    public static func redact(_ text: String) -> String {
        text.replacingOccurrences(
            of: #"^([a-z]+://[^:@/]*):[^@/]*@"#, with: "$1:***@", options: .regularExpression)
    }

    /// The password to send: the URL's, else `PGPASSWORD`, else the first matching line of the
    /// password file (`PGPASSFILE` or `~/.pgpass`), which libpq ignores, and so does perfdb,
    /// when others may read it.
    public func resolvedPassword(environment: [String: String], home: String) -> String? {
        if let password { return password }
        if let password = environment["PGPASSWORD"] { return password }
        let file = environment["PGPASSFILE"] ?? "\(home)/.pgpass"
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
            let permissions = attributes[.posixPermissions] as? Int, permissions & 0o077 == 0,
            let text = try? String(contentsOfFile: file, encoding: .utf8)
        else { return nil }
        return PassFile.password(
            in: text, host: host, port: port, database: database, user: user)
    }
}

/// libpq's password file: `hostname:port:database:username:password` a line, `*` matching
/// anything, `\:` and `\\` escaping, `#` starting a comment.
enum PassFile {
    static func password(in text: String, host: String, port: Int, database: String, user: String)
        -> String?
    {
        let wanted = [host.hasPrefix("/") ? "localhost" : host, String(port), database, user]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let fields = split(line)
            guard fields.count == 5 else { continue }
            let matches = zip(fields.prefix(4), wanted).allSatisfy { $0 == "*" || $0 == $1 }
            if matches { return fields[4] }
        }
        return nil
    }

    /// The fields of one line, unescaped.
    static func split(_ line: Substring) -> [String] {
        var fields: [String] = []
        var current = ""
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" && fields.count < 4 {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}
