import ArgumentParser
import Foundation
import PerfDBDelivery
import PerfDBModel
import PerfDBReport

/// The outputs of a command that gates: its report in `--format` on standard output (or
/// `--output`), the same judgement as Markdown, JUnit and JSON files at once, the job summary
/// of GitHub Actions, and annotations on the job.
struct JudgementOutputOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Output format of standard output (or --output): table, markdown, json, junit, csv, "
                + "html or slack (a Block Kit message)."))
    var format: JudgementFormat = .table

    @Option(
        help: ArgumentHelp(
            "Write the report to this file instead of standard output (- for stdout).",
            valueName: "file"), completion: .file())
    var output: String = "-"

    @Option(
        help: ArgumentHelp(
            "Also write the Markdown (a PR comment) to this file.", valueName: "file"),
        completion: .file())
    var markdown: String?

    @Option(
        help: ArgumentHelp("Also write JUnit XML to this file.", valueName: "file"),
        completion: .file())
    var junit: String?

    @Option(
        help: ArgumentHelp("Also write the JSON report to this file.", valueName: "file"),
        completion: .file())
    var json: String?

    @Option(
        name: .customLong("max-chars"),
        help: ArgumentHelp(
            "The Markdown's size limit: the headline, every non-ok row and the charts stay, the "
                + "rest is folded with a count (a GitHub comment takes 65,536).",
            valueName: "n"))
    var maxChars: Int = 65_000

    @Flag(
        name: .customLong("no-step-summary"),
        help: "Do not append the Markdown to $GITHUB_STEP_SUMMARY (GitHub Actions).")
    var noStepSummary = false

    @Option(
        name: .customLong("alert"),
        help: ArgumentHelp(
            "Send the alerts (regressions, CRITICAL SLOs, missed chaos targets): "
                + "alertmanager=URL (fires them, resolves the scope's earlier ones) or "
                + "webhook=URL (reports/alert.schema.json). Repeatable; a failed delivery is a "
                + "warning and leaves the exit code as it is.",
            valueName: "kind=url"))
    var alert: [String] = []

    @Option(
        name: .customLong("alert-timeout"),
        help: ArgumentHelp(
            "Seconds one delivery attempt may take (three attempts in all).",
            valueName: "seconds"))
    var alertTimeout: Int = 10

    func validate() throws {
        if maxChars < 1_000 { throw ValidationError("--max-chars must be at least 1000") }
        _ = try alertTargets()
    }

    /// The kinds of `--alert`.
    enum AlertKind: String, CaseIterable {
        case alertmanager
        case webhook
    }

    /// `--alert` as kinds and URLs; a malformed one is refused without echoing its URL, which
    /// may hold a token.
    func alertTargets() throws -> [(kind: AlertKind, url: URL)] {
        try alert.map { text in
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let kind = AlertKind(rawValue: parts[0]) else {
                throw ValidationError(
                    "--alert takes alertmanager=URL or webhook=URL, not \"\(parts[0])=…\"")
            }
            guard let url = URL(string: parts[1]),
                ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil
            else {
                throw ValidationError("--alert \(kind.rawValue)=…: not an http:// or https:// URL")
            }
            return (kind, url)
        }
    }

    /// The largest job summary GitHub Actions accepts from one step.
    static let stepSummaryLimit = 1_048_576

    /// Writes every output the flags ask for; annotations go to standard error on GitHub
    /// Actions; then sends the alerts `--alert` asks for.
    func emit(_ view: some JudgementView, global: GlobalOptions) throws {
        try Report.write(try view.render(format, limit: maxChars), to: output)
        let environment = ProcessInfo.processInfo.environment
        if let markdown {
            try Report.write(view.markdown(limit: maxChars), to: markdown)
        }
        if let junit { try Report.write(try view.render(.junit), to: junit) }
        if let json { try Report.write(try view.render(.json), to: json) }
        if !noStepSummary, let summary = environment["GITHUB_STEP_SUMMARY"], !summary.isEmpty {
            try Self.append(view, toStepSummary: summary)
        }
        if environment["GITHUB_ACTIONS"] == "true" {
            for annotation in view.annotations {
                FileHandle.standardError.write(Data((annotation.workflowCommand + "\n").utf8))
            }
        }
        deliver(view.alertSet, global: global)
    }

    /// Sends the alerts to every `--alert` target; a failure is a warning on standard error.
    func deliver(_ alerts: AlertSet, global: GlobalOptions, now: Date = Date()) {
        let delivery = HTTPDelivery(timeout: .seconds(max(alertTimeout, 1)))
        for (kind, url) in (try? alertTargets()) ?? [] {
            do {
                switch kind {
                case .alertmanager:
                    let alertmanager = Alertmanager(base: url, delivery: delivery)
                    let earlier = try alertmanager.activeAlerts(
                        matching: alerts.group.map { ($0.name, $0.value) }
                    ).map { $0.map { AlertSet.Pair($0.0, $0.1) } }
                    let resolved = alerts.resolved(from: earlier)
                    try alertmanager.post(
                        alerts.alertmanagerBody(
                            now: now, until: now.addingTimeInterval(Self.firingFor),
                            resolved: resolved))
                    global.note(
                        "alerts: \(alerts.alerts.count) firing, \(resolved.count) resolved, sent to "
                            + HTTPDelivery.redacted(url))
                case .webhook:
                    try delivery.send(
                        .POST, to: url, body: Array(try alerts.webhookJSON.utf8),
                        contentType: "application/json")
                    global.note(
                        "alerts: \(alerts.webhookDocument.status) (\(alerts.alerts.count)), sent to "
                            + HTTPDelivery.redacted(url))
                }
            } catch {
                let reason = (error as? PerfDBError)?.message ?? String(describing: error)
                FileHandle.standardError.write(
                    Data(
                        ("perfdb: warning: alerts not delivered to \(HTTPDelivery.redacted(url)): "
                            + reason + "\n").utf8))
            }
        }
    }

    /// How long a firing alert lasts unless a later judgement sends it again or resolves it.
    static let firingFor: TimeInterval = 7 * 86_400

    /// Appends the Markdown to the step summary file, within what the step has left of 1 MiB.
    static func append(_ view: some JudgementView, toStepSummary path: String) throws {
        let used =
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
        let room = stepSummaryLimit - used - 2
        guard room > 1_000 else { return }
        let text = view.markdown(limit: room, unit: .utf8Bytes) + "\n"
        guard let handle = FileHandle(forWritingAtPath: path) ?? create(path) else {
            throw PerfDBError(.io, "\(path): cannot write the step summary (GITHUB_STEP_SUMMARY)")
        }
        defer { try? handle.close() }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw PerfDBError(
                .io, "\(path): cannot write the step summary: \(error.localizedDescription)")
        }
    }

    private static func create(_ path: String) -> FileHandle? {
        guard FileManager.default.createFile(atPath: path, contents: nil) else { return nil }
        return FileHandle(forWritingAtPath: path)
    }
}

extension JudgementFormat: ExpressibleByArgument {}
