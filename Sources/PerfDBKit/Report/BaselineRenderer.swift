/// Renders `perfdb baseline show` and `perfdb baseline history`.
public enum BaselineRenderer {
    /// The baseline in force for `scope`'s newest run.
    public static func show(_ choice: BaselineChoice, scope: Scope, format: OutputFormat) -> String
    {
        let json = JSONObject.report([
            ("scope", .object(CheckRenderer.scopeJSON(scope))),
            ("baseline", .object(CheckRenderer.baselineJSON(choice))),
        ])
        let table = TextTable(
            columns: [
                .init("run", alignRight: true), .init("started_at"), .init("commit"),
                .init("build"),
                .init("status"),
            ],
            rows: choice.runs.map { run in
                [
                    run.id.map(String.init) ?? "?", run.startedAt,
                    String((run.commitId ?? "-").prefix(12)), run.buildId ?? "-", run.status,
                ]
            })
        var lines = ["Baseline of \(scope): \(choice.kind)"]
        if let entry = choice.entry {
            lines.append("pinned \(entry.setAt) by \(entry.setBy ?? "-"): \(entry.reason)")
        }
        if let accepted = choice.acceptedAt?.id {
            lines.append("accepted level from run \(accepted)")
        }
        if let held = choice.heldBackAt?.id {
            lines.append("held back before run \(held): an unaccepted regression")
        }
        switch format {
        case .json: return JSONWriter.render(.object(json))
        case .csv: return table.csv()
        case .markdown:
            return lines.map(TextTable.markdownCell).joined(separator: "  \n") + "\n\n"
                + table.markdown()
        case .table: return lines.joined(separator: "\n") + "\n\n" + table.plain()
        }
    }

    /// The baseline log, newest first.
    public static func history(_ entries: [BaselineRecord], format: OutputFormat) -> String {
        if format == .json {
            return JSONWriter.render(
                .array(
                    entries.map { entry in
                        .object(
                            JSONObject([
                                ("id", .number(entry.id.map(Double.init))),
                                ("scenario", .string(entry.scenario)),
                                ("environment", .string(entry.environment)),
                                ("branch", .string(entry.branch)), ("kind", .string(entry.kind)),
                                ("run_id", .number(Double(entry.runId))),
                                ("window", .number(entry.windowSize.map(Double.init))),
                                ("set_at", .string(entry.setAt)), ("set_by", .string(entry.setBy)),
                                ("reason", .string(entry.reason)),
                                ("superseded_at", .string(entry.supersededAt)),
                                ("superseded_by", .number(entry.supersededBy.map(Double.init))),
                            ]))
                    }))
        }
        let table = TextTable(
            columns: [
                .init("id", alignRight: true), .init("set_at"), .init("by"), .init("kind"),
                .init("run", alignRight: true), .init("scope"), .init("reason"),
                .init("superseded"),
            ],
            rows: entries.map { entry in
                [
                    entry.id.map(String.init) ?? "?", entry.setAt, entry.setBy ?? "-",
                    entry.kind + (entry.windowSize.map { " \($0)" } ?? ""), String(entry.runId),
                    "\(entry.scenario ?? "-")/\(entry.environment ?? "-")/\(entry.branch)",
                    entry.reason,
                    entry.supersededAt.map {
                        "by \(entry.supersededBy.map(String.init) ?? "?") at \($0)"
                    } ?? "",
                ]
            })
        switch format {
        case .markdown: return table.markdown()
        case .csv: return table.csv()
        default: return entries.isEmpty ? "no baseline entries\n" : table.plain()
        }
    }
}
