/// A series' identity: a metric name and a canonical (sorted) tag set, written in k6's notation:
/// `http_req_duration` or `http_req_duration{endpoint:reservations,method:GET}`.
public struct SeriesKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The metric name.
    public let metric: String
    /// The tags, sorted by key.
    public let tags: [Tag]

    /// One tag of a series.
    public struct Tag: Hashable, Sendable {
        public let key: String
        public let value: String

        /// Creates a tag.
        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    /// Creates a key; tags are sorted, a repeated key keeps its last value, and a tag with an
    /// empty value is left out (k6's NDJSON writes the root group as `"group":""`, its CSV an
    /// empty column: both are the same series).
    public init(metric: String, tags: [Tag] = []) {
        self.metric = metric
        var byKey: [String: String] = [:]
        for tag in tags { byKey[tag.key] = tag.value }
        byKey = byKey.filter { !$0.value.isEmpty }
        self.tags = byKey.keys.sorted().map { Tag($0, byKey[$0] ?? "") }
    }

    /// Parses k6 notation; nil when the text is not `metric` or `metric{k:v,…}`.
    public init?(parsing text: String) {
        guard let brace = text.firstIndex(of: "{") else {
            guard !text.isEmpty, !text.contains("}") else { return nil }
            self.init(metric: text)
            return
        }
        guard text.hasSuffix("}") else { return nil }
        let metric = String(text[..<brace])
        let inner = text[text.index(after: brace)..<text.index(before: text.endIndex)]
        guard !metric.isEmpty, !inner.isEmpty else { return nil }
        var tags: [Tag] = []
        for part in inner.split(separator: ",", omittingEmptySubsequences: false) {
            guard let colon = part.firstIndex(of: ":") else { return nil }
            let key = part[..<colon].trimmingSpaces()
            let value = part[part.index(after: colon)...].trimmingSpaces()
            guard !key.isEmpty else { return nil }
            tags.append(Tag(key, value))
        }
        self.init(metric: metric, tags: tags)
    }

    /// The k6 notation of the key.
    public var name: String {
        if tags.isEmpty { return metric }
        return metric + "{" + tags.map { "\($0.key):\($0.value)" }.joined(separator: ",") + "}"
    }

    public var description: String { name }

    /// The value of tag `key`, if the series has it.
    public func tag(_ key: String) -> String? {
        tags.first { $0.key == key }?.value
    }

    public static func < (lhs: SeriesKey, rhs: SeriesKey) -> Bool {
        if lhs.metric != rhs.metric { return lhs.metric < rhs.metric }
        return lhs.name < rhs.name
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        var text = self
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}

extension SeriesKey {
    /// True for `http_req_duration` overall and per `name`, `endpoint` or `url`: the latencies
    /// a scope report follows.
    public var isKeyLatency: Bool {
        metric == "http_req_duration"
            && (tags.isEmpty
                || (tags.count == 1 && ["name", "endpoint", "url"].contains(tags[0].key)))
    }
}
