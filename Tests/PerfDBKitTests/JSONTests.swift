import Foundation
import Testing

@testable import PerfDBAnalysis
@testable import PerfDBIngest
@testable import PerfDBModel
@testable import PerfDBReport
@testable import PerfDBStore

@Suite struct JSONParserTests {
    @Test func parsesNestedDocumentsKeepingKeyOrder() throws {
        let value = try JSONParser.parse(
            Array(#"{"b": [1, 2.5, -3e2], "a": {"x": null, "y": true}, "c": "é\n\u00e9"}"#.utf8))
        #expect(value.objectValue?.keys == ["b", "a", "c"])
        #expect(value["b"] == .array([.number(1), .number(2.5), .number(-300)]))
        #expect(value["a"]?["y"] == .bool(true))
        #expect(value["a"]?["x"] == .null)
        #expect(value["c"] == .string("é\né"))
    }

    @Test func acceptsAByteOrderMark() throws {
        let value = try JSONParser.parse([0xEF, 0xBB, 0xBF] + Array(#"{"a": 1}"#.utf8))
        #expect(value["a"] == .number(1))
    }

    @Test(arguments: [
        ("", "empty document", 1, 1),
        ("{\"a\": 1", "unexpected end of data in object", 1, 8),
        ("{\n  \"a\": NaN\n}", "NaN and Infinity are not JSON numbers", 2, 8),
        ("[1, Infinity]", "NaN and Infinity are not JSON numbers", 1, 5),
        ("{\"a\": 1, \"a\": 2}", "duplicate key \"a\"", 1, 10),
        ("[1e999]", "number out of range: 1e999", 1, 2),
        ("{\"a\": 1} x", "unexpected data after the JSON document", 1, 10),
        ("[01]", "expected ',' or ']' in array", 1, 3),
        ("\"\u{01}\"", "control character in string", 1, 2),
    ])
    func rejectsBadDocumentsWithAPosition(input: String, message: String, line: Int, column: Int) {
        #expect {
            _ = try JSONParser.parse(Array(input.utf8))
        } throws: { error in
            guard let error = error as? JSONSyntaxError else { return false }
            return error.message == message && error.line == line && error.column == column
        }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONSyntaxError.self) {
            _ = try JSONParser.parse([0x22, 0xFF, 0xFE, 0x22])
        }
    }

    @Test func boundsNesting() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect {
            _ = try JSONParser.parse(Array(deep.utf8))
        } throws: { error in
            (error as? JSONSyntaxError)?.message == "nesting deeper than 64 levels"
        }
    }

    @Test func writerRoundTripsNumbersAndEscapes() throws {
        let object = JSONValue.object(
            JSONObject([
                ("int", .number(42)), ("fraction", .number(0.1)), ("tiny", .number(1e-7)),
                ("text", .string("a\"b\\c\n\u{1}<")), ("none", .null),
            ]))
        let text = JSONWriter.render(object, pretty: false)
        #expect(
            text == #"{"int":42,"fraction":0.1,"tiny":1e-07,"text":"a\"b\\c\n\u0001<","none":null}"#
        )
        #expect(try JSONParser.parse(Array(text.utf8)) == object)
    }

    @Test(arguments: [0, 1, 3])
    func aStreamedArrayIsWrittenAsTheWholeValueIs(count: Int) throws {
        let element = { (index: Int) in
            JSONValue.object(JSONObject([("run", .number(Double(index))), ("tags", .array([]))]))
        }
        let whole = JSONObject([
            ("schemaVersion", .number(2)), ("points", .array((0..<count).map(element))),
            ("after", .object(JSONObject([("x", .null)]))),
        ])
        var head = whole
        head["points"] = .array([])
        var pieces: [String] = []
        try JSONWriter.write(
            head, streaming: "points", count: count, element: element, piece: 1
        ) { pieces.append($0) }
        #expect(pieces.joined() == JSONWriter.render(.object(whole)))
        // A piece after each element once a piece is one byte, and the end.
        #expect(pieces.count == count + 1)
    }

    @Test(arguments: [0, 1, 3])
    func streamedMembersAreWrittenAsTheirObjectIs(count: Int) throws {
        let members = { (index: Int) -> [(String, JSONValue)] in
            index == 1
                ? []
                : [
                    ("run", .number(Double(index))), ("note", .string("é € \u{2028} \"q\" \\")),
                    ("tags", .array([.string("a"), .null])),
                ]
        }
        let whole = JSONObject([
            ("points", .array((0..<count).map { .object(JSONObject(members($0))) })),
            ("after", .bool(true)),
        ])
        var head = whole
        head["points"] = .array([])
        var text = ""
        try JSONWriter.write(head, streaming: "points", count: count, members: members) {
            text += $0
        }
        #expect(text == JSONWriter.render(.object(whole)))
    }

    @Test func stringsAreEscapedWhereNeededAndCopiedWholeElsewhere() throws {
        for string in [
            "plain", "", "é and ü", "€ sign", "line\u{2028}separator", "para\u{2029}",
            "tab\there", "quote\"", "back\\slash", "bell\u{7}", "日本",
        ] {
            let text = JSONWriter.render(.string(string), pretty: false)
            #expect(try JSONParser.parse(Array(text.utf8)) == .string(string), "\(text)")
            #expect(!text.contains("\u{2028}") && !text.contains("\u{7}"))
        }
        #expect(JSONWriter.render(.string("é € x"), pretty: false) == "\"é € x\"")
    }

    @Test func anEmptyObjectIsWrittenAsRendered() throws {
        var text = ""
        try JSONWriter.write(JSONObject(), streaming: "points", count: 2, element: { _ in .null }) {
            text += $0
        }
        #expect(text == JSONWriter.render(.object(JSONObject())))
    }
}

@Suite struct EvidenceJSONTests {
    static let thresholds = ThresholdsEvidence(
        family: "durations", minChangePct: 10, minChangeAbs: nil, minZ: 3.72, zNeeded: 7.9,
        warningChangePct: 3)

    @Test(arguments: [
        SeriesEvidence(
            unit: "ms", direction: .lowerIsBetter, changeAbs: 1.5, spread: 0.25,
            z: ZScore(6.125), n: 10, baselineRuns: [1, 2, 3], method: "robust z",
            detectableChangePct: 4.5, mannWhitneyP: 0.003, superiority: 0.71,
            interval: [10.5, 11.25], baselineInterval: [9.75, 10.25],
            thresholds: thresholds, reason: "+15 %, \"quoted\""),
        SeriesEvidence(
            unit: "%", direction: .higherIsBetter, changeAbs: nil, spread: nil,
            z: ZScore(-.infinity), n: 0, baselineRuns: [], method: "relative",
            mannWhitneyP: nil, superiority: nil,
            thresholds: ThresholdsEvidence(
                family: "rates", minChangePct: nil, minChangeAbs: 0.01, minZ: 3,
                warningChangePct: nil),
            reason: "5 baseline runs, 5 needed"),
        SeriesEvidence(
            unit: "count", direction: .neutral, changeAbs: 0, spread: 0, z: nil, n: 3,
            baselineRuns: [7], method: "robust z", mannWhitneyP: nil, superiority: nil,
            thresholds: thresholds, reason: ""),
        SeriesEvidence(
            unit: "ms", direction: .lowerIsBetter, changeAbs: -0.1 / 3, spread: 1e-300,
            z: ZScore(.infinity), n: 51, baselineRuns: Array(1...12), method: "histogram",
            detectableChangePct: 1e21, mannWhitneyP: 1, superiority: 0,
            interval: [], baselineInterval: [-0.0, 9_007_199_254_740_992],
            thresholds: ThresholdsEvidence(
                family: "durations\n", minChangePct: -5, minChangeAbs: 1, minZ: 0,
                zNeeded: nil, warningChangePct: 1e-7),
            reason: "+8.1 % × 2, \u{2028}≥ z 3 \\ \t\u{1}"),
    ])
    func theBuiltMembersAreWhatTheEncoderWrites(evidence: SeriesEvidence) throws {
        let encoded = try JSONValueEncoder().encode(evidence)
        let built = JSONValue.object(JSONObject(evidence.members))
        #expect(built == encoded)
        #expect(
            JSONWriter.render(built, pretty: false) == JSONWriter.render(encoded, pretty: false))
        // Written directly, the same text.
        #expect(evidence.compactJSON == JSONWriter.render(built, pretty: false))
        // And the stored text reads back as the same evidence.
        let text = try VerdictRecord.Evidence.series(evidence).storedText()
        let back = try VerdictRecord.Evidence(storedText: text, ofSeries: true)
        #expect(back == .series(evidence))
    }
}

@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
    ])
    func matchesTheStandardVectors(input: String, digest: String) {
        #expect(SHA256.hex(of: Array(input.utf8)) == digest)
    }

    @Test func incrementalUpdatesMatchOneShot() {
        let bytes = (0..<1000).map { UInt8($0 % 251) }
        var hash = SHA256()
        for chunk in stride(from: 0, to: bytes.count, by: 37) {
            hash.update(Array(bytes[chunk..<min(chunk + 37, bytes.count)]))
        }
        #expect(hash.finalizeHex() == SHA256.hex(of: bytes))
        // A million 'a's: the FIPS 180-2 long vector.
        var million = SHA256()
        let block = [UInt8](repeating: 0x61, count: 1000)
        for _ in 0..<1000 { million.update(block) }
        #expect(
            million.finalizeHex()
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

@Suite struct TimestampTests {
    @Test(arguments: [
        ("2026-11-10T09:00:00Z", "2026-11-10T09:00:00.000Z"),
        ("2026-11-10T09:00:00.123456789Z", "2026-11-10T09:00:00.123Z"),
        ("2026-11-10T10:30:00+01:30", "2026-11-10T09:00:00.000Z"),
        ("2026-11-10T09:00:00.5+00:00", "2026-11-10T09:00:00.500Z"),
        ("2026-11-10", "2026-11-10T00:00:00.000Z"),
        ("2026-11-10T09:00", "2026-11-10T09:00:00.000Z"),
    ])
    func normalisesToUTCMilliseconds(input: String, stored: String) {
        #expect(Timestamp.parse(input).map(Timestamp.format) == stored)
    }

    /// The stored form is the calendar's: leap days, century years, before 1970 and far ahead
    /// (from 1583 on: before, the calendar counts Julian days).
    @Test func formatsAsTheGregorianCalendarDoes() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        var random = SystemRandomNumberGenerator()
        let days: [Int64] =
            [
                -141_000, -25_567, -1, 0, 1, 11_016, 11_017, 10_956, 19_782, 20_769, 47_541,
                2_932_896,
            ]
            + (0..<500).map { _ in Int64.random(in: -141_000...200_000, using: &random) }
        for day in days {
            // Eighths of a second: whole milliseconds a double holds exactly.
            let eighths = Int64.random(in: 0..<691_200, using: &random)
            let milliseconds = day * 86_400_000 + 125 * eighths
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            let parts = calendar.dateComponents(
                [.year, .month, .day, .hour, .minute, .second], from: date)
            let expected = String(
                format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.year ?? 0, parts.month ?? 0,
                parts.day ?? 0, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0,
                Int((milliseconds % 1000 + 1000) % 1000))
            #expect(Timestamp.format(date) == expected, "day \(day)")
        }
    }

    @Test(arguments: [
        "", "yesterday", "2026-13-01", "2026-02-30", "2026-11-10T25:00:00Z", "2026-11-10T09:00:00Q",
    ])
    func rejectsWhatIsNotATimestamp(input: String) {
        #expect(Timestamp.parse(input) == nil)
    }
}

@Suite struct SeriesKeyTests {
    @Test func parsesK6NotationAndSortsTags() throws {
        let key = try #require(SeriesKey(parsing: "http_req_duration{status:200,method:GET}"))
        #expect(key.metric == "http_req_duration")
        #expect(key.name == "http_req_duration{method:GET,status:200}")
        #expect(key.tag("status") == "200")
        #expect(SeriesKey(parsing: "checks")?.name == "checks")
        #expect(
            SeriesKey(parsing: "http_req_duration{url:http://x:8080/a}")?.tag("url")
                == "http://x:8080/a")
    }

    @Test(arguments: ["", "a{", "a{}", "{b:c}", "a{b}", "a}"])
    func rejectsMalformedNames(text: String) {
        #expect(SeriesKey(parsing: text) == nil)
    }

    @Test func defaultsGiveDirectionsAndUnits() {
        #expect(
            K6Catalogue.direction(metric: "http_req_duration", type: .trend) == .lowerIsBetter)
        #expect(K6Catalogue.direction(metric: "http_req_failed", type: .rate) == .lowerIsBetter)
        #expect(K6Catalogue.direction(metric: "checks", type: .rate) == .higherIsBetter)
        #expect(K6Catalogue.direction(metric: "http_reqs", type: .counter) == .higherIsBetter)
        #expect(
            K6Catalogue.direction(metric: "dropped_iterations", type: .counter) == .lowerIsBetter
        )
        #expect(K6Catalogue.direction(metric: "vus", type: .gauge) == .neutral)
        #expect(K6Catalogue.direction(metric: "data_received", type: .counter) == .neutral)
        #expect(K6Catalogue.unit(metric: "reservation_duration", type: .trend) == "ms")
        #expect(K6Catalogue.unit(metric: "data_sent", type: .counter) == "bytes")
        #expect(K6Catalogue.unit(metric: "payload", type: .trend, contains: "data") == "bytes")
    }
}

@Suite struct XXHash64Tests {
    static func digest(_ bytes: [UInt8], seed: UInt64 = 0, chunk: Int = 1 << 20) -> UInt64 {
        var hash = XXHash64(seed: seed)
        var offset = 0
        while offset < bytes.count {
            let end = min(offset + chunk, bytes.count)
            bytes[offset..<end].withUnsafeBytes { hash.update($0) }
            offset = end
        }
        return hash.finalize()
    }

    @Test func matchesTheReferenceVectors() {
        // Reference values of the xxHash specification's XXH64.
        #expect(Self.digest([]) == 0xEF46_DB37_51D8_E999)
        #expect(Self.digest(Array("a".utf8)) == 0xD24E_C4F1_A98C_6E5B)
        #expect(Self.digest(Array("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
        #expect(
            Self.digest(Array("Nobody inspects the spammish repetition".utf8))
                == 0xFBCE_A83C_8A37_8BF1)
        #expect(Self.digest([], seed: 1) != Self.digest([]))
    }

    @Test func chunkingDoesNotChangeTheDigest() {
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let whole = Self.digest(bytes)
        for chunk in [1, 3, 7, 31, 32, 33, 100, 4096] {
            #expect(Self.digest(bytes, chunk: chunk) == whole, "chunk \(chunk)")
        }
    }
}

/// Figures for people, as C's `%.Nf` writes them, however they are formatted.
@Suite struct FigureTests {
    @Test func fixedDecimalsAreCsOwn() {
        var random = SystemRandomNumberGenerator()
        var values: [Double] = [
            0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 1.005, 2.675, 1.015, -0.0001, 999.995, 1e-7,
            123_456_789.123_456, 9.999_999_5, 0.000_5, 1e15, 3e15, .infinity, -.infinity, .nan,
        ]
        for _ in 0..<5_000 {
            let magnitude = Double.random(in: -8...12, using: &random)
            let value = pow(10, magnitude) * Double.random(in: 1..<10, using: &random)
            values.append(Bool.random(using: &random) ? value : -value)
            // Halfway between two figures of a few decimals, as a k6 summary holds them.
            let decimals = Int.random(in: 0...4, using: &random)
            let whole = Double(Int.random(in: 0...100_000, using: &random))
            let halfway = (whole + 0.5) / pow(10, Double(decimals))
            values.append(halfway)
        }
        for value in values {
            for decimals in 0...6 {
                #expect(
                    Figure.fixed(value, decimals: decimals)
                        == String(format: "%.\(decimals)f", value), "\(value) to \(decimals)")
            }
        }
    }
}
