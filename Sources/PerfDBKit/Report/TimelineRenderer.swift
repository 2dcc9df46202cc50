/// Renders `perfdb runs show RUN --timeline`: each latency series per time bucket, a Mermaid
/// chart of p95 for Markdown, and the leak detector's verdict.
public enum TimelineRenderer {
    /// The timelines of a run in `format`.
    public static func render(
        run: RunRecord, timelines: [(series: SeriesRecord, buckets: [TimelineRow])],
        format: OutputFormat
    ) -> String {
        let findings = timelines.compactMap {
            LeakDetector.examine(series: $0.series.name, buckets: $0.buckets)
        }
        switch format {
        case .json:
            return JSONWriter.render(
                .object(
                    JSONObject.report([
                        ("run_id", .number(run.id.map(Double.init))),
                        (
                            "timelines",
                            .array(
                                timelines.map { timeline in
                                    .object(
                                        JSONObject([
                                            ("series", .string(timeline.series.name)),
                                            ("unit", .string(timeline.series.unit)),
                                            (
                                                "buckets",
                                                .array(
                                                    timeline.buckets.map { .object(bucketJSON($0)) }
                                                )
                                            ),
                                        ]))
                                })
                        ),
                        (
                            "leaks",
                            .array(
                                findings.map { finding in
                                    .object(
                                        JSONObject([
                                            ("series", .string(finding.series)),
                                            (
                                                "slope_pct_per_minute",
                                                .number(finding.slopePctPerMinute)
                                            ),
                                            ("rise_pct", .number(finding.risePct)),
                                            ("first_third_p95", .number(finding.firstThird)),
                                            ("last_third_p95", .number(finding.lastThird)),
                                            ("flagged", .bool(finding.flagged)),
                                        ]))
                                })
                        ),
                    ])))
        case .csv:
            return TextTable(
                columns: [
                    .init("series"), .init("bucket_start"), .init("count"), .init("avg"),
                    .init("p50"),
                    .init("p95"), .init("p99"), .init("rate"),
                ],
                rows: timelines.flatMap { timeline in
                    timeline.buckets.map { bucket in
                        [
                            timeline.series.name, bucket.start, String(bucket.count),
                            number(bucket.avg), number(bucket.p50), number(bucket.p95),
                            number(bucket.p99), number(bucket.rate),
                        ]
                    }
                }
            ).csv()
        case .table, .markdown:
            let markdown = format == .markdown
            var out = markdown ? "### Timeline of run \(run.id.map(String.init) ?? "?")\n\n" : ""
            for finding in findings where finding.flagged {
                let text =
                    "LEAK? \(finding.series): p95 rises \(Figure.percent(finding.risePct)) over the run "
                    + "(\(Figure.percent(finding.slopePctPerMinute)) per minute; first third "
                    + "\(Figure.format(finding.firstThird)) ms, last third \(Figure.format(finding.lastThird)) ms)"
                out += (markdown ? "**" + TextTable.markdownCell(text) + "**" : text) + "\n\n"
            }
            if findings.allSatisfy({ !$0.flagged }) {
                out += "No sustained rise of p95 inside the run.\n\n"
            }
            for timeline in timelines where timeline.series.metricType == "trend" {
                let table = TextTable(
                    columns: [
                        .init("t (s)", alignRight: true), .init("count", alignRight: true),
                        .init("avg", alignRight: true), .init("p50", alignRight: true),
                        .init("p95", alignRight: true), .init("p99", alignRight: true),
                        .init("max", alignRight: true),
                    ],
                    rows: timeline.buckets.map { bucket in
                        [
                            offset(bucket, from: timeline.buckets.first), String(bucket.count),
                            Figure.format(bucket.avg), Figure.format(bucket.p50),
                            Figure.format(bucket.p95),
                            Figure.format(bucket.p99), Figure.format(bucket.max),
                        ]
                    })
                if markdown {
                    out += "#### `\(timeline.series.name)` (\(timeline.series.unit))\n\n"
                    out +=
                        chart(timeline.series.name, timeline.buckets) + "\n" + table.markdown()
                        + "\n"
                } else {
                    out +=
                        "\(timeline.series.name) (\(timeline.series.unit)) "
                        + TrendRenderer.sparkline(timeline.buckets.compactMap(\.p95)) + "\n\n"
                        + table.plain() + "\n"
                }
            }
            return out
        }
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

    private static func bucketJSON(_ bucket: TimelineRow) -> JSONObject {
        JSONObject([
            ("start", .string(bucket.start)), ("seconds", .number(bucket.seconds)),
            ("count", .number(Double(bucket.count))), ("avg", .number(bucket.avg)),
            ("min", .number(bucket.min)), ("max", .number(bucket.max)),
            ("p50", .number(bucket.p50)),
            ("p95", .number(bucket.p95)), ("p99", .number(bucket.p99)),
            ("rate", .number(bucket.rate)),
            ("sum", .number(bucket.sum)),
        ])
    }

    private static func chart(_ name: String, _ buckets: [TimelineRow]) -> String {
        let labels = buckets.map { "\"" + offset($0, from: buckets.first) + "\"" }
        let p95 = buckets.map { JSONWriter.formatNumber((($0.p95 ?? 0) * 1000).rounded() / 1000) }
        let avg = buckets.map { JSONWriter.formatNumber((($0.avg ?? 0) * 1000).rounded() / 1000) }
        return [
            "```mermaid", "xychart-beta",
            "    title \"\(name.replacingOccurrences(of: "\"", with: "'")) p95 and avg per bucket\"",
            "    x-axis \"seconds into the run\" [\(labels.joined(separator: ", "))]",
            "    y-axis \"ms\"", "    line [\(p95.joined(separator: ", "))]",
            "    line [\(avg.joined(separator: ", "))]", "```",
        ].joined(separator: "\n") + "\n"
    }
}
