import ArgumentParser
import Foundation
import PerfDBModel
import PerfDBReport

/// The outputs of a command that gates: its report in `--format` on standard output (or
/// `--output`), the same judgement as Markdown, JUnit and JSON files at once, the job summary
/// of GitHub Actions, and annotations on the job.
struct JudgementOutputOptions: ParsableArguments {
    @Option(
        help:
            "Output format of standard output (or --output): table, markdown, json, junit, csv or html."
    )
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

    func validate() throws {
        if maxChars < 1_000 { throw ValidationError("--max-chars must be at least 1000") }
    }

    /// The largest job summary GitHub Actions accepts from one step.
    static let stepSummaryLimit = 1_048_576

    /// Writes every output the flags ask for; annotations go to standard error on GitHub
    /// Actions.
    func emit(_ view: some JudgementView) throws {
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
    }

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
