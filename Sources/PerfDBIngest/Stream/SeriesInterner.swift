import Foundation
import PerfDBModel

#if canImport(Glibc)
    import Glibc
#endif

/// How a stream's tags become series dimensions: k6's own dimension tags, and every tag the
/// script added, but never k6's system tags (``K6Catalogue/droppedTags``), the tags named with
/// `--drop-tag`, `url` where there is a `name`, or a tag with an empty value.
struct TagPolicy: Sendable {
    /// More distinct values of one tag than this stop the ingest.
    var cardinalityLimit = 1000
    /// Tags the user drops too (`--drop-tag`).
    var extraDropped: Set<String> = []

    /// The dimensions of a point's tags, sorted by key.
    func dimensions(_ pairs: [(String, String)]) -> [(String, String)] {
        let hasName = pairs.contains { $0.0 == "name" }
        // An empty value is no dimension (NDJSON writes the root group as "group":"", CSV
        // leaves the column empty): one series key whatever the format.
        return pairs.filter { key, value in
            !value.isEmpty && !K6Catalogue.droppedTags.contains(key)
                && !extraDropped.contains(key) && !(key == "url" && hasName)
        }.sorted { $0.0 < $1.0 }
    }
}

/// The interning stage of a raw stream: metric names and tag sets become small integers, by
/// their bytes, so a point costs a few comparisons instead of strings and dictionaries.
final class SeriesInterner {
    let policy: TagPolicy
    /// Metric names, by id; the id of a name's bytes.
    private(set) var metricNames: [String] = []
    private var metricIDs: [[UInt8]: Int] = [:]
    /// Each metric's bytes, and the metric that followed it last, by id.
    private var metricBytes: [[UInt8]] = []
    private var successors: [Int] = []
    /// Metric bytes → id by quick hash, checked against the stored name.
    private var metricHashes: [UInt64: [(bytes: [UInt8], id: Int)]] = [:]
    private var lastMetricBytes: [UInt8] = []
    private var lastMetricID = -1
    /// Kept tag sets, by id (sorted key/value pairs); the id of a canonical key.
    private(set) var tagsets: [[(String, String)]] = []
    private var tagsetIDs: [String: Int] = [:]
    /// Raw tag bytes → tag set, by quick hash (entries keep their bytes to rule out collisions).
    private var rawTagsetIDs: [UInt64: [(bytes: [UInt8], id: Int)]] = [:]
    private var rawTagsetCount = 0
    private var lastRawTags: [UInt8] = []
    private var lastTagsetID = -1
    private var distinctValues: [String: Set<String>] = [:]

    init(policy: TagPolicy) {
        self.policy = policy
    }

    @inline(__always)
    private static func same(_ bytes: UnsafeBufferPointer<UInt8>, _ stored: [UInt8]) -> Bool {
        guard bytes.count == stored.count else { return false }
        guard let base = bytes.baseAddress else { return stored.isEmpty }
        return stored.withUnsafeBufferPointer { storage in
            guard let other = storage.baseAddress else { return false }
            return memcmp(other, base, bytes.count) == 0
        }
    }

    /// The id of a metric name's bytes, created on first sight.
    @inline(__always)
    func metric(_ bytes: UnsafeBufferPointer<UInt8>) throws -> Int {
        if lastMetricID >= 0 {
            if Self.same(bytes, lastMetricBytes) { return lastMetricID }
            // k6 writes a request's metrics in a fixed order: try the metric that followed
            // this one last time before hashing.
            let next = successors[lastMetricID]
            if next >= 0 && Self.same(bytes, metricBytes[next]) {
                lastMetricBytes = metricBytes[next]
                lastMetricID = next
                return next
            }
        }
        let previous = lastMetricID
        let hash = quickHash(bytes)
        if let entries = metricHashes[hash] {
            for entry in entries where Self.same(bytes, entry.bytes) {
                if previous >= 0 { successors[previous] = entry.id }
                lastMetricBytes = entry.bytes
                lastMetricID = entry.id
                return entry.id
            }
        }
        let key = Array(bytes)
        let id: Int
        if let known = metricIDs[key] {
            id = known
        } else {
            guard let name = String(validating: key, as: UTF8.self) else {
                throw StreamLineError(message: "invalid UTF-8 in the metric name")
            }
            id = register(name: name, bytes: key)
        }
        if previous >= 0 { successors[previous] = id }
        metricHashes[hash, default: []].append((key, id))
        lastMetricBytes = key
        lastMetricID = id
        return id
    }

    /// The id of a metric by name (merging workers' results).
    func metric(named name: String) -> Int {
        let bytes = Array(name.utf8)
        return metricIDs[bytes] ?? register(name: name, bytes: bytes)
    }

    private func register(name: String, bytes: [UInt8]) -> Int {
        let id = metricNames.count
        metricIDs[bytes] = id
        metricNames.append(name)
        metricBytes.append(bytes)
        successors.append(-1)
        return id
    }

    /// The id of the tag set whose JSON text (between the braces) is `bytes`; parsed only the
    /// first time these bytes are seen.
    @inline(__always)
    func tags(json bytes: UnsafeBufferPointer<UInt8>) throws -> Int {
        if lastTagsetID >= 0 && Self.same(bytes, lastRawTags) { return lastTagsetID }
        let hash = quickHash(bytes)
        if let entries = rawTagsetIDs[hash] {
            for entry in entries where Self.same(bytes, entry.bytes) {
                lastRawTags = entry.bytes
                lastTagsetID = entry.id
                return entry.id
            }
        }
        let raw = Array(bytes)
        let id = try tags(Self.parseTags(bytes))
        // Per-VU or per-iteration raw tags would grow this map with the file: stop caching.
        if rawTagsetCount < 100_000 {
            rawTagsetIDs[hash, default: []].append((raw, id))
            rawTagsetCount += 1
        }
        lastRawTags = raw
        lastTagsetID = id
        return id
    }

    /// The id of the tag set of these tags (before the policy), created on first sight.
    func tags(_ pairs: [(String, String)]) throws -> Int {
        try tagset(policy.dimensions(pairs))
    }

    /// The id of a sorted list of dimensions, created on first sight.
    func tagset(_ kept: [(String, String)]) throws -> Int {
        let canonical = kept.map { "\($0.0)\u{1F}\($0.1)" }.joined(separator: "\u{1E}")
        if let known = tagsetIDs[canonical] { return known }
        let id = tagsets.count
        tagsetIDs[canonical] = id
        tagsets.append(kept)
        try checkCardinality(kept)
        return id
    }

    private func checkCardinality(_ pairs: [(String, String)]) throws {
        for (key, value) in pairs {
            var values = distinctValues[key, default: []]
            values.insert(value)
            distinctValues[key] = values
            if values.count > policy.cardinalityLimit {
                throw PerfDBError(
                    .badInput,
                    "tag \"\(key)\" has more than \(policy.cardinalityLimit) distinct values "
                        + "(e.g. \"\(value.prefix(60))\"): it would explode the series; drop it "
                        + "from the script or raise --max-tag-values")
            }
        }
    }

    /// Parses `"k":"v","k2":"v2"` (JSON escapes allowed) into pairs.
    static func parseTags(_ bytes: UnsafeBufferPointer<UInt8>) throws -> [(String, String)] {
        if bytes.isEmpty { return [] }
        guard let inner = String(validating: bytes, as: UTF8.self) else {
            throw StreamLineError(message: "invalid UTF-8 in the tags")
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(Array(("{" + inner + "}").utf8))
        } catch {
            throw StreamLineError(message: "tags are not a JSON object: \(error.message)")
        }
        guard let object = document.objectValue else {
            throw StreamLineError(message: "tags are not a JSON object")
        }
        return try tagPairs(object)
    }

    /// The tags of a JSON object: strings, with numbers and booleans as text and null empty.
    static func tagPairs(_ object: JSONObject) throws -> [(String, String)] {
        try object.members.map { member in
            switch member.value {
            case .string(let value): return (member.key, value)
            case .null: return (member.key, "")
            case .number(let number): return (member.key, JSONWriter.formatNumber(number))
            case .bool(let flag): return (member.key, flag ? "true" : "false")
            default: throw StreamLineError(message: "tag \"\(member.key)\" is not a string")
            }
        }
    }
}
