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
            run with its CI context. --db, --connect-timeout and --quiet may come before the \
            subcommand too. Reports go to standard output; notes and errors to \
            standard error.
            Exit codes: 0 ok, 64 usage, 65 bad input data, 66 input not found, 70 internal \
            error, 74 I/O error, 75 database busy or unreachable (docs/exit-codes.md).
            """,
        version: PerfDB.versionText,
        subcommands: [
            Ingest.self, Runs.self, Check.self, Gate.self, Trend.self, Baseline.self, Accept.self,
            SLO.self,
            Chaos.self, ReportCommand.self, Export.self, Site.self, Calibrate.self, Doctor.self,
            Backup.self, Merge.self, Query.self,
        ]
    )

    /// `--version`: the program, its version and commit, the schema it writes, its SQLite.
    static var versionText: String {
        "perfdb \(perfdbVersion) (commit \(buildCommit.map { String($0.prefix(12)) } ?? "unknown"), "
            + "schema \(StorageVersion.schema), SQLite \(StorageVersion.sqlite))"
    }

    /// The global flags that may come before the subcommand, and whether each takes a value.
    static let leadingGlobalFlags = ["--db": true, "--connect-timeout": true, "--quiet": false]

    /// The arguments with the global flags given before the subcommand moved after it, where
    /// every command takes them: `perfdb --db x.sqlite runs list` is `perfdb runs list --db …`.
    static func arguments(_ given: [String]) -> [String] {
        var moved: [String] = []
        var rest: [String] = []
        var index = 0
        while index < given.count {
            let argument = given[index]
            let name = String(argument.prefix { $0 != "=" })
            guard rest.isEmpty, let takesValue = leadingGlobalFlags[name] else {
                rest.append(contentsOf: given[index...])
                break
            }
            moved.append(argument)
            if takesValue, !argument.contains("="), index + 1 < given.count {
                moved.append(given[index + 1])
                index += 1
            }
            index += 1
        }
        guard !moved.isEmpty, !rest.isEmpty else { return given }
        // After the subcommand names, before any `--` that ends the options.
        let end = rest.firstIndex(of: "--") ?? rest.endIndex
        return Array(rest[..<end]) + moved + Array(rest[end...])
    }

    /// Parses, runs, and exits: the one place perfdb calls `exit`.
    static func main() {
        Warehouse.prepareSQLite()
        do {
            var command = try parseAsRoot(arguments(Array(CommandLine.arguments.dropFirst())))
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
