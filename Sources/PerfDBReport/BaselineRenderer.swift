import Foundation
import PerfDBAnalysis
import PerfDBModel

/// `perfdb baseline show`: the baseline in force for a scope's newest run.
public struct BaselineView: Renderable {
    public var choice: BaselineChoice
    public var scope: Scope

    /// The view of a baseline choice.
    public init(_ choice: BaselineChoice, scope: Scope) {
        self.choice = choice
        self.scope = scope
    }

    public struct Document: Encodable {
        public var scope: Scope
        public var baseline: BaselineEvidence
    }

    public var document: Versioned<Document> {
        Versioned(Document(scope: scope, baseline: choice.evidence))
    }

    public var csv: TextTable { table }

    public var blocks: [Block] {
        var lines: [[Inline]] = [[.text("Baseline of \(scope): \(choice.source.rawValue)")]]
        if let entry = choice.entry {
            lines.append([.text("pinned \(entry.setAt) by \(entry.setBy ?? "-"): \(entry.reason)")])
        }
        if let accepted = choice.acceptedAt?.id {
            lines.append([.text("accepted level from run \(accepted)")])
        }
        if let held = choice.heldBackAt?.id {
            lines.append([.text("held back before run \(held): an unaccepted regression")])
        }
        return [.lines(lines), .table(table)]
    }

    private var table: TextTable {
        TextTable(
            columns: [
                .init("run", alignRight: true), .init("started_at"), .init("commit"),
                .init("build"), .init("status"),
            ],
            rows: choice.runs.map { run in
                [
                    run.id.map(String.init) ?? "?", run.startedAt,
                    RunsListView.shortCommit(run.commitId), run.buildId ?? "-", run.status.rawValue,
                ]
            })
    }
}

/// `perfdb baseline history`: the baseline log, newest first.
public struct BaselineHistoryView: Renderable {
    public var entries: [BaselineRecord]

    /// The view of the log.
    public init(_ entries: [BaselineRecord]) { self.entries = entries }

    public struct Entry: Encodable {
        public var id: Int64?
        public var scenario: String?
        public var environment: String?
        public var branch: String
        public var kind: BaselineKind
        public var runId: Int64
        public var window: Int?
        public var setAt: String
        public var setBy: String?
        public var reason: String
        public var supersededAt: String?
        public var supersededBy: Int64?
    }

    public var document: [Entry] {
        entries.map {
            Entry(
                id: $0.id, scenario: $0.scenario, environment: $0.environment, branch: $0.branch,
                kind: $0.kind, runId: $0.runId, window: $0.windowSize, setAt: $0.setAt,
                setBy: $0.setBy, reason: $0.reason, supersededAt: $0.supersededAt,
                supersededBy: $0.supersededBy)
        }
    }

    public var csv: TextTable { table }

    public var blocks: [Block] {
        entries.isEmpty ? [.line("no baseline entries")] : [.table(table)]
    }

    private var table: TextTable {
        TextTable(
            columns: [
                .init("id", alignRight: true), .init("set_at"), .init("by"), .init("kind"),
                .init("run", alignRight: true), .init("scope"), .init("reason"),
                .init("superseded"),
            ],
            rows: entries.map { entry in
                [
                    entry.id.map(String.init) ?? "?", entry.setAt, entry.setBy ?? "-",
                    entry.kind.rawValue + (entry.windowSize.map { " \($0)" } ?? ""),
                    String(entry.runId),
                    "\(entry.scenario ?? "-")/\(entry.environment ?? "-")/\(entry.branch)",
                    entry.reason,
                    entry.supersededAt.map {
                        "by \(entry.supersededBy.map(String.init) ?? "?") at \($0)"
                    } ?? "",
                ]
            })
    }
}
