import Foundation
import PerfDBAnalysis
import PerfDBModel

/// `perfdb runs show RUN --timeline`: each latency series per time bucket, a chart of p95 and
/// the leak detector's verdict.
public struct TimelineReport: Renderable {
    public var run: RunRecord
    public var timelines: [(series: SeriesRecord, buckets: [TimelineRow])]
    public var findings: [LeakFinding]

    /// The report of a run's timelines.
    public init(run: RunRecord, timelines: [(series: SeriesRecord, buckets: [TimelineRow])]) {
        self.run = run
        self.timelines = timelines
        findings = timelines.compactMap {
            LeakDetector.examine(series: $0.series.name, buckets: $0.buckets)
        }
    }

    public struct Document: Encodable {
        public var runId: Int64?
        public var timelines: [Timeline]
        public var leaks: [Leak]

        public struct Timeline: Encodable {
            public var series: String
            public var unit: String
            public var buckets: [Bucket]
        }

        public struct Bucket: Encodable {
            public var start: String
            public var seconds: Double
            public var count: Int
            public var avg: Double?
            public var min: Double?
            public var max: Double?
            public var p50: Double?
            public var p95: Double?
            public var p99: Double?
            public var rate: Double?
            public var sum: Double?
        }

        public struct Leak: Encodable {
            public var series: String
            public var slopePctPerMinute: Double
            public var risePct: Double
            public var firstThirdP95: Double
            public var lastThirdP95: Double
            public var flagged: Bool
        }
    }

    public var document: Versioned<Document> {
        Versioned(
            Document(
                runId: run.id,
                timelines: timelines.map { timeline in
                    Document.Timeline(
                        series: timeline.series.name, unit: timeline.series.unit,
                        buckets: timeline.buckets.map {
                            Document.Bucket(
                                start: $0.start, seconds: $0.seconds, count: $0.count, avg: $0.avg,
                                min: $0.min, max: $0.max, p50: $0.p50, p95: $0.p95, p99: $0.p99,
                                rate: $0.rate, sum: $0.sum)
                        })
                },
                leaks: findings.map {
                    Document.Leak(
                        series: $0.series, slopePctPerMinute: $0.slopePctPerMinute,
                        risePct: $0.risePct, firstThirdP95: $0.firstThird,
                        lastThirdP95: $0.lastThird, flagged: $0.flagged)
                }))
    }

    public var csv: TextTable {
        TextTable(
            columns: [
                .init("series"), .init("bucket_start"), .init("count"), .init("avg"), .init("p50"),
                .init("p95"), .init("p99"), .init("rate"),
            ],
            rows: timelines.flatMap { timeline in
                timeline.buckets.map { bucket in
                    [
                        timeline.series.name, bucket.start, String(bucket.count),
                        Self.number(bucket.avg), Self.number(bucket.p50), Self.number(bucket.p95),
                        Self.number(bucket.p99), Self.number(bucket.rate),
                    ]
                }
            })
    }

    public var blocks: [Block] {
        var blocks: [Block] = [
            .heading(3, [.text("Timeline of run \(run.id.map(String.init) ?? "?")")])
        ]
        for finding in findings where finding.flagged {
            blocks.append(
                .line(
                    .strong(
                        "LEAK? \(finding.series): p95 rises \(Figure.percent(finding.risePct)) over the run "
                            + "(\(Figure.percent(finding.slopePctPerMinute)) per minute; first third "
                            + "\(Figure.format(finding.firstThird)) ms, last third \(Figure.format(finding.lastThird)) ms)"
                    )))
        }
        if findings.allSatisfy({ !$0.flagged }) {
            blocks.append(.line("No sustained rise of p95 inside the run."))
        }
        for timeline in timelines where timeline.series.metricType == .trend {
            blocks += [
                .heading(
                    4,
                    [
                        .code(timeline.series.name),
                        .text(
                            " (\(timeline.series.unit)) "
                                + Sparkline.of(timeline.buckets.compactMap(\.p95))),
                    ]),
                .chart(Self.chart(timeline.series.name, timeline.buckets)),
                .figure(Self.latencyFigure(timeline.series, timeline.buckets)),
                .table(
                    TextTable(
                        columns: [
                            .init("t (s)", alignRight: true), .init("count", alignRight: true),
                            .init("avg", alignRight: true), .init("p50", alignRight: true),
                            .init("p95", alignRight: true), .init("p99", alignRight: true),
                            .init("max", alignRight: true),
                        ],
                        rows: timeline.buckets.map { bucket in
                            [
                                Self.offset(bucket, from: timeline.buckets.first),
                                String(bucket.count), Figure.format(bucket.avg),
                                Figure.format(bucket.p50), Figure.format(bucket.p95),
                                Figure.format(bucket.p99), Figure.format(bucket.max),
                            ]
                        })),
            ]
        }
        blocks += requestBlocks
        return blocks
    }

    /// Requests per bucket and the share that failed, when the run has those timelines.
    private var requestBlocks: [Block] {
        guard let requests = timelines.first(where: { $0.series.name == "http_reqs" }) else {
            return []
        }
        let failed = timelines.first { $0.series.name == "http_req_failed" }
        let failedRate = Dictionary(
            (failed?.buckets ?? []).map { ($0.start, $0.rate) }, uniquingKeysWith: { one, _ in one }
        )
        let offsets = requests.buckets.map { Self.offset($0, from: requests.buckets.first) }
        let failedPct = requests.buckets.map { bucket in
            failedRate[bucket.start].flatMap { $0 }.map { $0 * 100 }
        }
        var figures: [Block] = [
            .figure(
                Self.bucketFigure(
                    title: "Requests per second per bucket of run \(runLabel)", axis: "req/s",
                    name: "http_reqs rate", offsets: offsets,
                    values: requests.buckets.map(\.rate)))
        ]
        if failedPct.contains(where: { $0 != nil }) {
            figures.append(
                .figure(
                    Self.bucketFigure(
                        title: "Failed requests per bucket of run \(runLabel)",
                        axis: "failed (%)", name: "http_req_failed", offsets: offsets,
                        values: failedPct)))
        }
        return figures + [
            .heading(
                4,
                [
                    .code("http_reqs"), .text(" and "), .code("http_req_failed"),
                    .text(" " + Sparkline.of(requests.buckets.compactMap(\.rate))),
                ]),
            .table(
                TextTable(
                    columns: [
                        .init("t (s)", alignRight: true), .init("requests", alignRight: true),
                        .init("req/s", alignRight: true), .init("failed", alignRight: true),
                    ],
                    rows: requests.buckets.map { bucket in
                        [
                            Self.offset(bucket, from: requests.buckets.first),
                            Figure.format(bucket.sum ?? Double(bucket.count)),
                            Figure.format(bucket.rate),
                            failedRate[bucket.start].flatMap { $0 }.map {
                                Figure.format($0 * 100) + " %"
                            } ?? "-",
                        ]
                    })),
        ]
    }

    private var runLabel: String { run.id.map(String.init) ?? "?" }

    /// p95 and average of a latency series per bucket, for the HTML report.
    private static func latencyFigure(_ series: SeriesRecord, _ buckets: [TimelineRow])
        -> SVGChart
    {
        let offsets = buckets.map { offset($0, from: buckets.first) }
        let unit = series.unit.isEmpty ? "" : " (\(series.unit))"
        var chart = SVGChart(
            title: "\(series.name) p95 and avg per bucket",
            summary:
                "p95 and average of \(series.name) in \(buckets.count) buckets: p95 from "
                + "\(Figure.format(buckets.first?.p95)) to \(Figure.format(buckets.last?.p95))"
                + "\(unit), highest \(Figure.format(buckets.compactMap(\.p95).max())).",
            xTitle: "seconds into the run", yTitle: "latency" + unit, xLabels: offsets,
            series: [
                SVGChart.Series("p95", values: buckets.map(\.p95), dots: true),
                SVGChart.Series("avg", values: buckets.map(\.avg)),
            ],
            table: TextTable(
                columns: [
                    .init("t (s)", alignRight: true), .init("p95", alignRight: true),
                    .init("avg", alignRight: true),
                ],
                rows: buckets.indices.map { index in
                    [
                        offsets[index], Figure.format(buckets[index].p95),
                        Figure.format(buckets[index].avg),
                    ]
                }))
        chart.pointNotes = buckets.indices.map { index in
            "\(offsets[index]) s · p95 \(Figure.format(buckets[index].p95))\(unit) · "
                + "\(buckets[index].count) samples"
        }
        return chart
    }

    /// One figure per bucket, for the HTML report.
    private static func bucketFigure(
        title: String, axis: String, name: String, offsets: [String], values: [Double?]
    ) -> SVGChart {
        let present = values.compactMap { $0 }
        var chart = SVGChart(
            title: title,
            summary:
                "\(axis) in \(values.count) buckets: lowest \(Figure.format(present.min())), "
                + "highest \(Figure.format(present.max())).",
            xTitle: "seconds into the run", yTitle: axis, xLabels: offsets,
            series: [SVGChart.Series(name, values: values, dots: true)],
            table: TextTable(
                columns: [.init("t (s)", alignRight: true), .init(axis, alignRight: true)],
                rows: offsets.indices.map { [offsets[$0], Figure.format(values[$0])] }))
        chart.pointNotes = offsets.indices.map {
            "\(offsets[$0]) s · \(axis) \(Figure.format(values[$0]))"
        }
        return chart
    }

    private static func number(_ value: Double?) -> String {
        value.map(JSONWriter.formatNumber) ?? ""
    }

    private static func offset(_ bucket: TimelineRow, from first: TimelineRow?) -> String {
        guard let first, let start = Timestamp.parse(first.start),
            let at = Timestamp.parse(bucket.start)
        else { return bucket.start }
        return Figure.format(at.timeIntervalSince(start))
    }

    private static func chart(_ name: String, _ buckets: [TimelineRow]) -> String {
        let labels = buckets.map { "\"" + offset($0, from: buckets.first) + "\"" }
        let p95 = buckets.map { JSONWriter.formatNumber((($0.p95 ?? 0) * 1000).rounded() / 1000) }
        let avg = buckets.map { JSONWriter.formatNumber((($0.avg ?? 0) * 1000).rounded() / 1000) }
        return [
            "xychart-beta",
            "    title \"\(name.replacingOccurrences(of: "\"", with: "'")) p95 and avg per bucket\"",
            "    x-axis \"seconds into the run\" [\(labels.joined(separator: ", "))]",
            "    y-axis \"ms\"", "    line [\(p95.joined(separator: ", "))]",
            "    line [\(avg.joined(separator: ", "))]",
        ].joined(separator: "\n") + "\n"
    }
}

/// Eight-level block sparklines.
public enum Sparkline {
    /// The sparkline of `values`.
    public static func of(_ values: [Double]) -> String {
        let blocks = Array("▁▂▃▄▅▆▇█")
        guard let low = values.min(), let high = values.max() else { return "" }
        guard high > low else { return String(repeating: blocks[3], count: values.count) }
        return String(
            values.map { value in
                blocks[min(7, Int(((value - low) / (high - low) * 7).rounded()))]
            })
    }
}
