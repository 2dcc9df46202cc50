import ArgumentParser
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBPostgres
import PerfDBReport
import PerfDBStore

extension PerfDB {
    /// `perfdb merge`: fold the runs of other perfdb files into this one.
    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "merge",
            abstract:
                "Fold the runs of other perfdb files (e.g. from parallel CI jobs) into this one.",
            discussion: """
                All files are merged in one transaction: a problem with any of them (exit 65 \
                for a file that is not a sound perfdb database or comes from a newer perfdb, \
                66 for a missing one, 64 for the database itself) leaves this database \
                unchanged. Runs are matched by \
                content digest, so merging the same file again adds nothing; a run here \
                already keeps what this database has, and takes over an invalidation only the \
                other file has. Series are matched by metric and tag set; baseline log entries \
                are added unless the same entry is here, and each scope's newest pin is in \
                force; verdicts come along for runs that have none here, with their run ids \
                mapped. The other files are read, never changed.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Argument(
            help: ArgumentHelp("The perfdb files to merge into the database.", valueName: "other"),
            completion: .file(extensions: ["sqlite", "db"]))
        var others: [String]

        func run() throws {
            // Every file is checked before the database is opened (or created).
            let sources = try others.map {
                try MergeSource(path: $0, into: global.databasePath)
            }
            let store = try global.open()
            let report: MergeReport
            if let server = store as? PostgresStore {
                report = try server.merge(try sources.map { try $0.contents() })
            } else if let file = store as? Warehouse {
                report = try file.merge(sources)
            } else {
                throw PerfDBError(.internal, "\(store.location): no merge for this engine")
            }
            try output.emit(MergeView(report))
        }
    }
}
