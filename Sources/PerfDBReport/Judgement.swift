import Foundation
import PerfDBModel

/// The formats of a judging command's report (`check`, `gate`, `slo check`, `chaos trend`).
public enum JudgementFormat: String, Sendable, CaseIterable {
    case table
    case markdown
    case json
    case junit
    case csv
    case html
    /// A Slack Block Kit message.
    case slack
}

/// A report that gates a pipeline: besides the usual formats it renders as JUnit, carries a
/// marker that identifies its comment on a pull request, and names what failed as CI
/// annotations.
public protocol JudgementView: Renderable {
    /// The marker a sticky-comment step finds its comment by: `perfdb:check scenario=…`.
    var marker: String { get }
    /// The report as JUnit XML.
    func junit() throws -> String
    /// What failed or warns, one annotation each.
    var annotations: [Annotation] { get }
    /// What `--alert` sends: the regressions, CRITICAL SLOs or missed chaos targets.
    var alertSet: AlertSet { get }
}

/// A finding a CI system shows beside the job (GitHub's `::error title=…::message`).
public struct Annotation: Sendable, Equatable {
    public enum Level: String, Sendable {
        case error
        case warning
    }

    public var level: Level
    public var title: String
    public var message: String

    /// Creates an annotation.
    public init(_ level: Level, title: String, message: String) {
        self.level = level
        self.title = title
        self.message = message
    }

    /// The GitHub Actions workflow command, its data escaped as the runner expects.
    public var workflowCommand: String {
        func escaped(_ text: String, property: Bool) -> String {
            var result = text.replacingOccurrences(of: "%", with: "%25")
                .replacingOccurrences(of: "\r", with: "%0D")
                .replacingOccurrences(of: "\n", with: "%0A")
            if property {
                result = result.replacingOccurrences(of: ":", with: "%3A")
                    .replacingOccurrences(of: ",", with: "%2C")
            }
            return result
        }
        return "::\(level.rawValue) title=\(escaped(title, property: true))::"
            + escaped(message, property: false)
    }
}

extension JudgementView {
    /// The report in `format`; Markdown starts with the marker and fits `limit` characters.
    public func render(_ format: JudgementFormat, limit: Int = .max) throws -> String {
        switch format {
        case .json: try render(OutputFormat.json)
        case .csv: try render(OutputFormat.csv)
        case .table: try render(OutputFormat.table)
        case .html: try render(OutputFormat.html)
        case .junit: try junit()
        case .markdown: markdown(limit: limit)
        case .slack: SlackMessage.render(headline: alertSet.headline, blocks: blocks)
        }
    }

    /// The Markdown with the marker first, at most `limit` long in `unit`.
    public func markdown(limit: Int, unit: Markup.SizeUnit = .characters) -> String {
        Markup.markdown([.comment(marker)] + blocks, limit: limit, unit: unit)
    }

    /// The marker of a scope: `perfdb:<command> scenario=… environment=…`.
    public static func marker(_ command: String, scenario: String?, environment: String?)
        -> String
    {
        var parts = ["perfdb:\(command)"]
        if let scenario { parts.append("scenario=\(scenario)") }
        if let environment { parts.append("environment=\(environment)") }
        return parts.joined(separator: " ")
    }
}
