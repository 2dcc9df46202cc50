import ArgumentParser
import Foundation
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBReport
import PerfDBStore

/// The `perfdb` command: the memory of a performance-testing practice.
@main
struct PerfDB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perfdb",
        abstract: "Store load-test runs, SLO evaluations and chaos experiments; report on them.",
        discussion: """
            One SQLite file (--db, else $PERFDB_DB, else ./perfdb.sqlite), or a PostgreSQL \
            database (--db postgresql://user@host:port/dbname; docs/scaling.md), holds every \
            run with its CI context. Reports go to standard output; notes and errors to \
            standard error.
            Exit codes: 0 ok, 64 usage, 65 bad input data, 66 input not found, 70 internal \
            error, 74 I/O error, 75 database busy or unreachable (docs/exit-codes.md).
            """,
        version: perfdbVersion,
        subcommands: [
            Ingest.self, Runs.self, Check.self, Trend.self, Baseline.self, Accept.self, SLO.self,
            Chaos.self, ReportCommand.self, Doctor.self, Backup.self, Merge.self,
            Query.self,
        ]
    )

    /// Parses, runs, and exits: the one place perfdb calls `exit`.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as PerfDBError {
            let lines = error.message.split(separator: "\n", omittingEmptySubsequences: false)
            for line in lines {
                FileHandle.standardError.write(Data("perfdb: \(line)\n".utf8))
            }
            Foundation.exit(error.code.rawValue)
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            // Argument errors exit as argument-parser says (64 for usage); anything else is a
            // fault of perfdb itself.
            guard exitCode(for: error) == .failure else { exit(withError: error) }
            FileHandle.standardError.write(Data("perfdb: internal error: \(error)\n".utf8))
            Foundation.exit(PerfDBError.Code.internal.rawValue)
        }
    }
}
