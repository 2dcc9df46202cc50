import Foundation
import PerfDBTestSupport
import Testing

/// `perfdb export --format openmetrics` against the real Prometheus tools (Debian's
/// `prometheus` and `prometheus-pushgateway`, started here on loopback): promtool accepts the
/// text, a Pushgateway receives it from `--push`, and Prometheus scrapes it and answers a query.
@Suite(.serialized) struct PrometheusTests {
    /// The value of the sample of `family` whose labels contain every one of `labels`.
    static func sample(_ text: String, _ family: String, _ labels: [String]) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(family + "{") {
            guard labels.allSatisfy({ line.contains($0) }),
                let space = line.lastIndex(of: " ")
            else { continue }
            return Double(line[line.index(after: space)...])
        }
        return nil
    }

    @Test func exportAgreesWithTheGateAndPassesPromtool() throws {
        let cli = try CLI.demo()
        try cli.useDemoConfiguration()
        let export = try cli.run(["export"])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.hasSuffix("# EOF\n"))
        let check = try cli.run(["check", "latest", "--no-store", "--format", "json"])
        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any])
        #expect(
            Self.sample(export.stdout, "perfdb_gate_exit_code", []) == Double(check.status))
        #expect(
            Self.sample(
                export.stdout, "perfdb_gate_verdict",
                ["verdict=\"\(document["verdict"] as? String ?? "?")\""]) == 1)
        // Every gated duration in seconds, as the gate judged it in milliseconds.
        let series = try #require(document["series"] as? [[String: Any]])
        let durations = series.filter { ($0["unit"] as? String) == "ms" }
        #expect(!durations.isEmpty)
        for entry in durations {
            let name = try #require(entry["series"] as? String)
            let stat = try #require(entry["stat"] as? String)
            let value = try #require(entry["value"] as? Double)
            let exported = try #require(
                Self.sample(
                    export.stdout, "perfdb_series_duration_seconds",
                    ["series=\"\(name)\"", "statistic=\"\(stat)\""]))
            #expect(abs(exported - value / 1000) <= 1e-12 * max(1, value))
        }
        // One run-info sample: the run and commit never multiply a scope's series.
        #expect(
            export.stdout.split(separator: "\n").filter { $0.hasPrefix("perfdb_run_info{") }.count
                == 1)
        #expect(Self.sample(export.stdout, "perfdb_chaos_mttr_seconds", []) != nil)
        #expect(Self.sample(export.stdout, "perfdb_slo_compliance_ratio", []) != nil)

        let promtool = try Self.promtool(export.stdout)
        #expect(promtool.status == 0, "promtool: \(promtool.output)")
        // promtool does reject what breaks the format or its naming rules: the check can fail.
        for (good, bad) in [
            ("# TYPE perfdb_run_info gauge", "# TYPE perfdb_run_info counter"),
            ("perfdb_gate_exit_code{", "perfdb-gate-exit-code{"),
        ] {
            let broken = try Self.promtool(export.stdout.replacingOccurrences(of: good, with: bad))
            #expect(broken.status != 0, "promtool accepted \(bad)")
        }
    }

    @Test func pushgatewayReceivesItAndPrometheusAnswersAQuery() throws {
        let cli = try CLI.demo()
        try cli.useDemoConfiguration()
        let gateway = try LoopbackServer(
            "/usr/bin/prometheus-pushgateway", readyPath: "/-/ready"
        ) { port, _ in ["--web.listen-address=127.0.0.1:\(port)"] }
        defer { gateway.stop() }
        let push = try cli.run(["export", "--push", gateway.url, "--scenario", "load"])
        #expect(push.status == 0, "\(push.stderr)")
        #expect(push.stdout.isEmpty)
        #expect(push.stderr.contains("pushed "))
        let exported = try cli.run(["export", "--scenario", "load"]).stdout
        let labels = [
            "series=\"http_req_duration{endpoint:reservations}\"", "statistic=\"p95\"",
        ]
        let expected = try #require(
            Self.sample(exported, "perfdb_series_duration_seconds", labels))

        let metrics = try LoopbackServer.get(gateway.url + "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.body.contains("job=\"perfdb\""))
        #expect(
            Self.sample(metrics.body, "perfdb_series_duration_seconds", labels + ["job=\"perfdb\""])
                .map { abs($0 - expected) < 1e-12 } == true)

        let prometheus = try LoopbackServer("/usr/bin/prometheus", readyPath: "/-/ready") {
            port, directory in
            let config = directory.appendingPathComponent("prometheus.yml")
            try """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - job_name: pushgateway
                honor_labels: true
                static_configs: [{targets: ['127.0.0.1:\(gateway.port)']}]
            """.write(to: config, atomically: true, encoding: .utf8)
            return [
                "--config.file=\(config.path)",
                "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                "--web.listen-address=127.0.0.1:\(port)",
            ]
        }
        defer { prometheus.stop() }
        let query =
            "perfdb_series_duration_seconds{series=\"http_req_duration{endpoint:reservations}\","
            + "statistic=\"p95\",job=\"perfdb\",scenario=\"load\"}"
        var answered: Double?
        let deadline = Date().addingTimeInterval(60)
        while answered == nil, Date() < deadline {
            let answer = try LoopbackServer.curl([
                "-s", "-m", "5", "-G", "--data-urlencode", "query=\(query)", "-w", "\n%{http_code}",
                prometheus.url + "/api/v1/query",
            ])
            if answer.status == 200,
                let json = try JSONSerialization.jsonObject(with: Data(answer.body.utf8))
                    as? [String: Any],
                let data = json["data"] as? [String: Any],
                let result = data["result"] as? [[String: Any]], let first = result.first,
                let value = first["value"] as? [Any], let text = value.last as? String
            {
                answered = Double(text)
            } else {
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
        let value = try #require(
            answered, "Prometheus never answered: \(prometheus.log.suffix(1500))")
        #expect(abs(value - expected) < 1e-12)
    }

    @Test func aFailedPushExitsSeventyFourAndShowsNoToken() throws {
        let cli = try CLI.demo()
        try cli.useDemoConfiguration()
        let port = try PostgresCluster.freePort()
        let push = try cli.run([
            "export", "--timeout", "1",
            "--push", "http://robot:s3cret@127.0.0.1:\(port)/hooks/T0KEN-abc?key=QUERYSECRET",
        ])
        #expect(push.status == 74)
        #expect(push.stdout.isEmpty)
        #expect(push.stderr.contains("127.0.0.1:\(port)"))
        #expect(push.stderr.contains("3 attempts"))
        for secret in ["s3cret", "robot", "T0KEN", "QUERYSECRET", "hooks"] {
            #expect(!push.stderr.contains(secret))
        }
        #expect(push.stderr.split(separator: "\n").count == 1, "\(push.stderr)")
    }

    /// `promtool check metrics` on `text`, read from a file: promtool stops reading at the
    /// first error, and a pipe written after that would end the test process.
    static func promtool(_ text: String) throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("perfdb-metrics-\(UUID().uuidString).txt")
        try text.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        process.arguments = ["check", "metrics"]
        let output = Pipe()
        process.standardInput = try FileHandle(forReadingFrom: file)
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
