import Foundation
import PerfDBModel
import PerfDBTestSupport
import Testing

/// `--alert`: a real Alertmanager (Debian's `prometheus-alertmanager`, started here on
/// loopback) receives a check's regressions as firing alerts and sees them resolved by the
/// scope's next passing check; a webhook receives the payload reports/alert.schema.json
/// describes; a delivery that fails is a warning that leaves the gate's exit code alone and
/// shows no part of the URL but its host and port.
@Suite(.serialized) struct AlertTests {
    static func alertmanager() throws -> LoopbackServer {
        try LoopbackServer("/usr/bin/prometheus-alertmanager", readyPath: "/-/ready") {
            port, directory in
            let config = directory.appendingPathComponent("alertmanager.yml")
            try """
            route: {receiver: nowhere, group_wait: 1s, group_interval: 1s}
            receivers: [{name: nowhere}]
            """.write(to: config, atomically: true, encoding: .utf8)
            return [
                "--config.file=\(config.path)",
                "--storage.path=\(directory.appendingPathComponent("data").path)",
                "--web.listen-address=127.0.0.1:\(port)", "--cluster.listen-address=",
            ]
        }
    }

    /// The label sets of the alerts Alertmanager holds as active.
    static func activeAlerts(_ server: LoopbackServer) throws -> [[String: String]] {
        let answer = try LoopbackServer.get(server.url + "/api/v2/alerts?active=true")
        #expect(answer.status == 200)
        let alerts = try JSONParser.parse(Array(answer.body.utf8)).arrayValue ?? []
        return alerts.map { alert in
            var labels: [String: String] = [:]
            for member in alert["labels"]?.objectValue?.members ?? [] {
                labels[member.key] = member.value.stringValue
            }
            labels["@commit"] = alert["annotations"]?["commit"]?.stringValue
            return labels
        }
    }

    @Test func alertmanagerFiresRegressionsAndTheNextPassingCheckResolvesThem() throws {
        let cli = try CLI.demo()
        try cli.useDemoConfiguration()
        let server = try Self.alertmanager()
        defer { server.stop() }
        let expected = try cli.run(["check", "18", "--no-store", "--format", "json"])
        let document = try JSONParser.parse(Array(expected.stdout.utf8))
        let regressed = (document["series"]?.arrayValue ?? []).filter {
            $0["verdict"]?.stringValue == "regression"
        }
        #expect(regressed.count > 0)

        let failing = try cli.run([
            "check", "18", "--no-store", "--alert", "alertmanager=\(server.url)",
        ])
        #expect(failing.status == 2, "\(failing.stderr)")
        #expect(failing.stdout.contains("perfdb check: FAIL"))
        #expect(failing.stderr.contains("alerts: \(regressed.count) firing, 0 resolved"))
        let firing = try Self.activeAlerts(server).filter { $0["perfdb"] == "check" }
        #expect(firing.count == regressed.count)
        let reservations = firing.first {
            $0["series"] == "http_req_duration{endpoint:reservations}" && $0["statistic"] == "p95"
        }
        #expect(reservations?["alertname"] == "PerfdbRegression")
        #expect(reservations?["scenario"] == "load")
        #expect(reservations?["environment"] == "staging")
        #expect(reservations?["branch"] == "main")
        #expect(reservations?["@commit"] == "f63cdfa35a7d047c657efa4c5166a391f302c9ef")
        // The run and commit are annotations, not labels: the next run's regression is the
        // same alert.
        #expect(reservations?["run"] == nil)

        let again = try cli.run([
            "check", "18", "--no-store", "--alert", "alertmanager=\(server.url)",
        ])
        #expect(again.stderr.contains("alerts: \(regressed.count) firing, 0 resolved"))
        #expect(
            try Self.activeAlerts(server).filter { $0["perfdb"] == "check" }.count
                == regressed.count)

        // Run 10 of the same scope, before the regression, passes: its check resolves them.
        let passing = try cli.run([
            "check", "10", "--no-store", "--alert", "alertmanager=\(server.url)",
        ])
        #expect(passing.status == 0, "\(passing.stdout)")
        #expect(passing.stderr.contains("alerts: 0 firing, \(regressed.count) resolved"))
        #expect(try Self.activeAlerts(server).filter { $0["perfdb"] == "check" }.isEmpty)
    }

    @Test func chaosTrendFiresMissedTargets() throws {
        let cli = try CLI.demo()
        try cli.useDemoConfiguration()
        let server = try Self.alertmanager()
        defer { server.stop() }
        let trend = try cli.run(["chaos", "trend", "--alert", "alertmanager=\(server.url)"])
        let missed = try Self.activeAlerts(server).filter { $0["perfdb"] == "chaos" }
        #expect(missed.allSatisfy { $0["alertname"] == "PerfdbChaosTargetMissed" })
        // The demo's PMS experiment misses its availability target on its newest run.
        #expect(missed.contains { $0["figure"] == "availability_pct" }, "\(trend.stderr)")
        #expect(trend.status == 2)
    }

    @Test func aWebhookReceivesThePayloadItsSchemaDescribes() throws {
        let cli = try CLI.demo()
        try cli.useDemoConfiguration()
        let receiver = try LoopbackServer("/usr/bin/python3", readyPath: "/ready") {
            port, directory in
            let script = directory.appendingPathComponent("receiver.py")
            try """
            import http.server, sys, pathlib
            out = pathlib.Path(sys.argv[2])
            class Receiver(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    self.send_response(200); self.end_headers()
                def do_POST(self):
                    body = self.rfile.read(int(self.headers['Content-Length']))
                    n = len(list(out.glob('*.json')))
                    (out / f'{n}.json').write_bytes(body)
                    (out / f'{n}.type').write_text(self.headers['Content-Type'] + ' ' + self.path)
                    self.send_response(202); self.end_headers()
                def log_message(self, *args): pass
            http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), Receiver).serve_forever()
            """.write(to: script, atomically: true, encoding: .utf8)
            return [script.path, String(port), directory.path]
        }
        defer { receiver.stop() }
        let check = try cli.run([
            "check", "18", "--no-store", "--alert", "webhook=\(receiver.url)/hook/T0KEN?key=abc",
        ])
        #expect(check.status == 2)
        #expect(check.stderr.contains("alerts: firing"))
        #expect(!check.stderr.contains("T0KEN"))
        let body = try String(
            contentsOf: receiver.directory.appendingPathComponent("0.json"), encoding: .utf8)
        let meta = try String(
            contentsOf: receiver.directory.appendingPathComponent("0.type"), encoding: .utf8)
        #expect(meta == "application/json /hook/T0KEN?key=abc")
        #expect(try SchemaValidator(named: "alert.schema.json").problems(inText: body) == [])
        let payload = try JSONParser.parse(Array(body.utf8))
        #expect(payload["status"]?.stringValue == "firing")
        #expect(payload["exit_code"]?.numberValue == 2)
        #expect(payload["run"]?["id"]?.numberValue == 18)
        #expect(payload["group"]?["scenario"]?.stringValue == "load")

        let passing = try cli.run([
            "check", "10", "--no-store", "--alert", "webhook=\(receiver.url)",
        ])
        #expect(passing.status == 0)
        let second = try JSONParser.parse(
            Array(
                try String(
                    contentsOf: receiver.directory.appendingPathComponent("1.json"),
                    encoding: .utf8
                ).utf8))
        #expect(second["status"]?.stringValue == "resolved")
        #expect(second["alerts"]?.arrayValue?.isEmpty == true)
    }

    @Test func aFailedDeliveryWarnsAndKeepsTheGatesExitCode() throws {
        let cli = try CLI.demo()
        try cli.useDemoConfiguration()
        let port = try PostgresCluster.freePort()
        let check = try cli.run([
            "check", "18", "--no-store", "--alert-timeout", "1",
            "--alert", "alertmanager=http://robot:s3cret@127.0.0.1:\(port)/am/T0KEN",
            "--alert", "webhook=https://127.0.0.1:\(port)/services/T0KEN2",
        ])
        #expect(check.status == 2)
        #expect(check.stdout.contains("perfdb check: FAIL"))
        let warnings = check.stderr.split(separator: "\n").filter {
            $0.hasPrefix("perfdb: warning: alerts not delivered to ")
        }
        #expect(warnings.count == 2, "\(check.stderr)")
        for secret in ["s3cret", "robot", "T0KEN", "/am", "services"] {
            #expect(!check.stderr.contains(secret))
        }
        // A malformed --alert is a usage error that does not echo its URL either.
        let bad = try cli.run(["check", "18", "--alert", "slack=https://hooks.example/T0KEN"])
        #expect(bad.status == 64)
        #expect(!bad.stderr.contains("T0KEN"))
    }
}
