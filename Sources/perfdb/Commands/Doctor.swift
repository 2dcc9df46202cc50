import ArgumentParser
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBPostgres
import PerfDBReport
import PerfDBStore

extension PerfDB {
    /// `perfdb doctor`: check the database.
    struct Doctor: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "doctor",
            abstract: "Check the database: integrity, foreign keys, schema version, counts.",
            discussion:
                "Exit 0 when nothing is wrong, 74 when something is (each problem on standard error)."
        )

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let report = try global.open(.readOnly).doctor()
            try output.emit(DoctorView(report))
            if !report.problems.isEmpty {
                throw PerfDBError(.io, report.problems.prefix(20).joined(separator: "\n"))
            }
        }
    }

    /// `perfdb backup`: an online, consistent copy.
    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract:
                "Copy the database to a new file, consistent while other perfdb processes write.",
            discussion: """
                From a PostgreSQL --db the copy is a SQLite file of the same history. \
                --journal-mode wal keeps the copy in write-ahead-log mode, as perfdb's own files: \
                a reader must be able to create its -wal and -shm files beside it. \
                --journal-mode delete switches the copy to SQLite's rollback journal: one \
                self-contained file that a read-only reader (Grafana's SQLite data source, a \
                read-only mount) opens as it is (docs/grafana.md).
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The new file.", completion: .file(extensions: ["sqlite", "db"]))
        var destination: String

        @Option(
            help: ArgumentHelp(
                "The copy's journal: wal (default) as perfdb's own files; delete for a single "
                    + "file that a read-only reader (Grafana's SQLite data source, a read-only "
                    + "mount) can open, no -wal/-shm files beside it.",
                valueName: "mode"))
        var journalMode: JournalMode = .wal

        func run() throws {
            let store = try global.open(.existing)
            if let server = store as? PostgresStore {
                try Warehouse.restore(to: destination, journalMode: journalMode) { sink in
                    try server.export(into: sink)
                }
            } else if let file = store as? Warehouse {
                try file.backup(to: destination, journalMode: journalMode)
            }
            global.note("backed up \(store.location) to \(destination)")
        }
    }
}

extension JournalMode: ExpressibleByArgument {}
