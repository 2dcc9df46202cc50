import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import PerfDBModel

/// Sends one HTTP request and waits for the answer, with a timeout and retries: how perfdb
/// pushes metrics to a Pushgateway and posts alerts to Alertmanager and webhooks.
///
/// A connection failure, a timeout, a 5xx or a 429 is tried again after a pause (doubled each
/// time); any other answer is final. Errors name the server as `scheme://host:port` only: a
/// URL's path, query and user part may hold a token, and never reach any output.
public struct HTTPDelivery: Sendable {
    /// How long one attempt may take, connecting included.
    public var timeout: Duration
    /// How many times a request is tried in all.
    public var attempts: Int
    /// The pause before the second attempt.
    public var pause: Duration

    /// A server's answer.
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var body: String

        /// True for 2xx.
        public var isSuccess: Bool { (200..<300).contains(status) }
    }

    /// Creates a sender.
    public init(timeout: Duration = .seconds(10), attempts: Int = 3, pause: Duration = .seconds(1))
    {
        self.timeout = timeout
        self.attempts = max(attempts, 1)
        self.pause = pause
    }

    /// Sends `body` to `url` and returns the final answer; throws when no attempt got one, or
    /// the last answer was not a success.
    @discardableResult
    public func send(
        _ method: HTTPMethod, to url: URL, body: [UInt8], contentType: String,
        headers extra: [(String, String)] = []
    ) throws -> Response {
        let target = try Target(url)
        var wait = pause
        var last: (any Error)?
        for attempt in 1...attempts {
            if attempt > 1 {
                Thread.sleep(forTimeInterval: Self.seconds(wait))
                wait = wait * 2
            }
            let response: Response
            do {
                response = try once(
                    method, target: target, body: body, contentType: contentType, extra: extra)
            } catch {
                last = error
                continue
            }
            if response.isSuccess { return response }
            let refusal = PerfDBError(
                .io,
                "\(target.redacted) answered \(response.status)"
                    + (response.body.isEmpty ? "" : ": " + Self.firstLine(response.body)))
            // A client error is final: sending the same request again changes nothing.
            guard response.status >= 500 || response.status == 429 else { throw refusal }
            last = refusal
        }
        throw PerfDBError(
            .io,
            "could not deliver to \(target.redacted) after \(attempts) attempt"
                + (attempts == 1 ? "" : "s") + ": " + Self.describe(last))
    }

    private func once(
        _ method: HTTPMethod, target: Target, body: [UInt8], contentType: String,
        extra: [(String, String)]
    ) throws -> Response {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: Response.self)
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: target.hostHeader)
        headers.add(name: "User-Agent", value: "perfdb/\(perfdbVersion)")
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        if let authorization = target.authorization {
            headers.add(name: "Authorization", value: authorization)
        }
        for (name, value) in extra { headers.add(name: name, value: value) }
        let head = HTTPRequestHead(
            version: .http1_1, method: method, uri: target.requestURI, headers: headers)
        let payload = ByteBuffer(bytes: body)
        let tls = try target.tls.map { host in
            (try NIOSSLContext(configuration: .makeClientConfiguration()), host)
        }
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.nanoseconds(Int64(Self.seconds(timeout) * 1e9)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let (context, host) = tls {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(
                                context: context, serverHostname: Self.isAddress(host) ? nil : host)
                        )
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        ExchangeHandler(head: head, body: payload, promise: promise))
                }
            }
        let deadline = loop.scheduleTask(in: .nanoseconds(Int64(Self.seconds(timeout) * 1e9))) {
            promise.fail(PerfDBError(.io, "no answer within \(Self.seconds(timeout)) s"))
        }
        let connection = bootstrap.connect(host: target.host, port: target.port)
        connection.whenFailure { promise.fail($0) }
        connection.whenSuccess { channel in
            promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
        defer { deadline.cancel() }
        return try promise.futureResult.wait()
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    private static func firstLine(_ text: String) -> String {
        String(text.split(whereSeparator: \.isNewline).first ?? "").prefix(200).description
    }

    private static func describe(_ error: (any Error)?) -> String {
        switch error {
        case let error as PerfDBError: return error.message
        case let error?: return String(describing: error)
        case nil: return "no answer"
        }
    }

    private static func isAddress(_ host: String) -> Bool {
        host.contains(":") || host.allSatisfy { $0.isNumber || $0 == "." }
    }
}

/// Where a request goes, read from its URL once.
struct Target: Sendable {
    var host: String
    var port: Int
    /// The server name for TLS; nil for plain HTTP.
    var tls: String?
    var requestURI: String
    var authorization: String?
    /// `scheme://host:port`: what messages may show of the URL.
    var redacted: String
    var hostHeader: String

    init(_ url: URL) throws {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            throw PerfDBError(
                .usage,
                "not an http:// or https:// URL: \(url.scheme.map { "\($0)://…" } ?? "(no scheme)")"
            )
        }
        self.host = host
        let secure = scheme == "https"
        port = url.port ?? (secure ? 443 : 80)
        tls = secure ? host : nil
        let shownHost = host.contains(":") ? "[\(host)]" : host
        redacted = "\(scheme)://\(shownHost):\(port)"
        hostHeader = url.port.map { "\(shownHost):\($0)" } ?? shownHost
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        let path = components?.percentEncodedPath ?? ""
        requestURI =
            (path.isEmpty ? "/" : path)
            + (components?.percentEncodedQuery.map { "?" + $0 } ?? "")
        if let user = url.user(percentEncoded: false) {
            let password = url.password(percentEncoded: false) ?? ""
            authorization = "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        }
    }
}

/// Writes one request when the connection opens and fulfils the promise with the answer.
private final class ExchangeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let body: ByteBuffer
    private let promise: EventLoopPromise<HTTPDelivery.Response>
    private var status = 0
    private var received = ByteBuffer()

    init(head: HTTPRequestHead, body: ByteBuffer, promise: EventLoopPromise<HTTPDelivery.Response>)
    {
        self.head = head
        self.body = body
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let response):
            status = Int(response.status.code)
        case .body(var part):
            if received.readableBytes < 65_536 { received.writeBuffer(&part) }
        case .end:
            promise.succeed(
                HTTPDelivery.Response(status: status, body: String(buffer: received)))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(PerfDBError(.io, "the server closed the connection without an answer"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}

/// A Pushgateway's address for a group of metrics.
public enum Pushgateway {
    /// `BASE/metrics/job/JOB/LABEL/VALUE…`, every value base64url-encoded (`LABEL@base64/…`),
    /// so a branch such as `feature/x`, or an empty value, is a valid path.
    public static func groupURL(base: URL, job: String, grouping: [(String, String)]) throws
        -> URL
    {
        var path = base.absoluteString
        while path.hasSuffix("/") { path.removeLast() }
        path += "/metrics/job@base64/" + encode(job)
        for (label, value) in grouping {
            path += "/\(label)@base64/" + encode(value)
        }
        guard let url = URL(string: path) else {
            throw PerfDBError(.usage, "not a Pushgateway URL: \(HTTPDelivery.redacted(base))")
        }
        return url
    }

    /// Base64url without padding; `=` for the empty value, as the Pushgateway wants.
    static func encode(_ value: String) -> String {
        guard !value.isEmpty else { return "=" }
        return Data(value.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

extension HTTPDelivery {
    /// What messages may show of a URL: `scheme://host:port`, never its path, query or user.
    public static func redacted(_ url: URL) -> String {
        (try? Target(url).redacted) ?? "(not an http URL)"
    }
}

/// Alertmanager's v2 API, as `--alert alertmanager=URL` uses it.
public struct Alertmanager: Sendable {
    public var base: URL
    public var delivery: HTTPDelivery

    /// A client of the Alertmanager at `base` (`http://host:9093`).
    public init(base: URL, delivery: HTTPDelivery) {
        self.base = base
        self.delivery = delivery
    }

    /// The label sets of the alerts Alertmanager holds as active (silenced and inhibited ones
    /// too) whose labels match every one of `matching` (an empty value matches a missing label).
    public func activeAlerts(matching: [(String, String)]) throws -> [[(String, String)]] {
        let filters = matching.map { name, value in
            "filter=" + Self.queryEncoded("\(name)=\"\(Self.escaped(value))\"")
        }
        let query =
            "active=true&silenced=true&inhibited=true&unprocessed=true&"
            + filters.joined(separator: "&")
        let url = try endpoint("api/v2/alerts", query: query)
        let response = try delivery.send(.GET, to: url, body: [], contentType: "application/json")
        guard let alerts = (try? JSONParser.parse(Array(response.body.utf8)))?.arrayValue else {
            throw PerfDBError(
                .io, "\(HTTPDelivery.redacted(base)) answered with no list of alerts")
        }
        return alerts.compactMap { alert in
            alert["labels"]?.objectValue.map { labels in
                labels.members.compactMap { member in
                    member.value.stringValue.map { (member.key, $0) }
                }
            }
        }
    }

    /// Posts alerts (the JSON array of `POST /api/v2/alerts`).
    public func post(_ body: String) throws {
        try delivery.send(
            .POST, to: try endpoint("api/v2/alerts", query: nil), body: Array(body.utf8),
            contentType: "application/json")
    }

    private func endpoint(_ path: String, query: String?) throws -> URL {
        var text = base.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        text += "/" + path + (query.map { "?" + $0 } ?? "")
        guard let url = URL(string: text) else {
            throw PerfDBError(.usage, "not an Alertmanager URL: \(HTTPDelivery.redacted(base))")
        }
        return url
    }

    private static func escaped(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
            of: "\"", with: "\\\"")
    }

    private static func queryEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
