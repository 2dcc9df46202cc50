import ArgumentParser
import Foundation
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBPostgres
import PerfDBReport
import PerfDBStore

/// The flags every command shares: where the database is, and how chatty to be.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The database: a SQLite file, or postgresql://user@host:port/dbname?sslmode=… "
                + "(default: $PERFDB_DB, else ./perfdb.sqlite).",
            valueName: "path-or-url"),
        completion: .file(extensions: ["sqlite", "db"]))
    var db: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "PostgreSQL: how long to keep retrying an unreachable or restarting server before "
                + "exit 75.",
            valueName: "seconds"))
    var connectTimeout: Int = 30

    @Flag(name: .long, help: "Print nothing on standard error but errors.")
    var quiet = false

    /// The database path after the flag, the environment and the default.
    var databasePath: String {
        if let db { return db }
        if let fromEnvironment = ProcessInfo.processInfo.environment["PERFDB_DB"],
            !fromEnvironment.isEmpty
        {
            return fromEnvironment
        }
        return "perfdb.sqlite"
    }

    /// The warehouse `--db` names: a server for a PostgreSQL URL, else a SQLite file.
    ///
    /// The password comes from the URL, `PGPASSWORD` or `~/.pgpass`.
    func open(_ access: StoreAccess = .readWrite) throws -> any Store {
        guard let url = try postgresURL() else {
            return try Warehouse(path: databasePath, access: access)
        }
        let environment = ProcessInfo.processInfo.environment
        return try PostgresStore(
            url: url,
            password: url.resolvedPassword(
                environment: environment,
                home: environment["HOME"] ?? NSHomeDirectory()),
            connectTimeout: .seconds(max(connectTimeout, 0)), access: access)
    }

    /// The PostgreSQL URL `--db` names, or nil for a file.
    func postgresURL() throws -> PostgresURL? {
        guard PostgresURL.isPostgres(databasePath) else { return nil }
        return try PostgresURL(
            parsing: databasePath, environment: ProcessInfo.processInfo.environment)
    }

    /// Writes a note to standard error unless `--quiet`.
    func note(_ text: String) {
        guard !quiet else { return }
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// The flags of every reading command: the format and where the report goes.
struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output format: table, markdown, json, csv or html.")
    var format: OutputFormat = .table

    @Option(
        name: .long,
        help: "Write the report to this file instead of standard output (- for stdout).",
        completion: .file())
    var output: String = "-"

    /// Writes the report to standard output or the `--output` file.
    func emit(_ text: String) throws {
        try Report.write(text, to: output)
    }

    /// Renders a report in the chosen format and writes it as it is rendered.
    func emit(_ report: some Renderable) throws {
        try Report.writing(to: output) { write in try report.write(format, to: write) }
    }
}

/// Where reports go: standard output, or a file written atomically.
enum Report {
    /// Writes what `body` hands its writer: to standard output (`standardOutput`) in pieces of
    /// about 64 KiB as they come, so a long report is never whole in memory; to a file whole and
    /// atomically.
    static func writing(
        to output: String, standardOutput: FileHandle = .standardOutput,
        _ body: (_ write: (String) throws -> Void) throws -> Void
    ) throws {
        guard output == "-" else {
            var text = ""
            try body { text += $0 }
            return try write(text, to: output)
        }
        let piece = 1 << 16
        var pending = Data()
        pending.reserveCapacity(piece * 2)
        try body { text in
            pending.append(contentsOf: text.utf8)
            if pending.count >= piece {
                standardOutput.write(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
        if !pending.isEmpty { standardOutput.write(pending) }
    }

    static func write(_ text: String, to output: String) throws {
        if output == "-" {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            throw PerfDBError(
                .io, "\(output): cannot write the report: \(error.localizedDescription)")
        }
    }
}

extension OutputFormat: ExpressibleByArgument {}
extension InputFormat: ExpressibleByArgument {}
extension RunKind: ExpressibleByArgument {}

/// The `--config` flag of the commands that judge.
struct ConfigOptions: ParsableArguments {
    @Option(
        name: .long, help: "The configuration file (default: ./perfdb.yml when present).",
        completion: .file(extensions: ["yml", "yaml"]))
    var config: String?

    /// The configuration in force, its base branch chosen with the CI system's variables: a
    /// pull request's target, else the file's `base_branch`, else the repository's default.
    func load() throws -> Config {
        var loaded = try Config.resolve(
            explicitPath: config, directory: FileManager.default.currentDirectoryPath)
        loaded.chooseBaseBranch(
            pullRequestTarget: Job.ci.baseBranch, defaultBranch: Job.ci.defaultBranch)
        return loaded
    }
}

/// The job perfdb runs in.
enum Job {
    /// What the CI system's variables (and `PERFDB_SCENARIO`, `PERFDB_ENVIRONMENT`) say, read
    /// once per process.
    static let ci = CIContext.fromEnvironment(ProcessInfo.processInfo.environment)
}

/// Which run a job judges: the newest load run of its scenario, environment, branch and
/// commit, each filled as `ingest` fills them: the flag, then the CI system's variables, then
/// git (which only narrows the choice when a run of git's commit is stored).
struct JobScopeOptions: ParsableArguments {
    @Option(help: "The scenario (default: $PERFDB_SCENARIO).")
    var scenario: String?

    @Option(help: "The environment (default: $PERFDB_ENVIRONMENT).")
    var environment: String?

    @Option(help: "The run's branch (default: the CI system's, else git's).")
    var branch: String?

    @Option(
        help: "The run's commit, or a prefix of 7+ digits (default: the CI system's, else git's).")
    var commit: String?

    @OptionGroup var base: BaseBranchOption

    @Option(
        name: .customLong("merge-base"),
        help: ArgumentHelp(
            "The base branch's commit the run's branch started from: the baseline ends at its "
                + "run (default: git merge-base, when the run is on another branch).",
            valueName: "commit"))
    var mergeBase: String?

    /// The selection of the run to judge; sets the configuration's base branch.
    func resolve(_ config: inout Config) -> RunSelection {
        let ci = Job.ci
        base.apply(&config)
        var selection = RunSelection()
        selection.required.scenario = scenario ?? ci.scenario
        selection.required.environment = self.environment ?? ci.environment
        selection.required.branch = branch ?? ci.branch
        selection.required.commit = commit ?? ci.commit
        let directory = FileManager.default.currentDirectoryPath
        if selection.required.commit == nil {
            let git = CIContext.fromGit(in: directory)
            selection.preferredCommit = git.commit
            selection.preferredBranch = selection.required.branch == nil ? git.branch : nil
        }
        selection.mergeBase =
            mergeBase
            ?? CIContext.mergeBase(
                of: selection.required.commit ?? selection.preferredCommit,
                on: selection.required.branch ?? selection.preferredBranch,
                with: config.baseBranch, in: directory)
        return selection
    }
}

/// Which runs a report covers: scenario, environment and branch.
struct ScopeOptions: ParsableArguments {
    @Option(help: "The scenario (default: the newest run's).")
    var scenario: String?

    @Option(help: "The environment (default: the newest run's).")
    var environment: String?

    @Option(help: "The branch (default: the base branch of the configuration).")
    var branch: String?

    /// The scope the flags name, completed from the newest load run.
    func resolve(_ reader: any StoreReader, _ settings: GatherSettings) throws -> Scope {
        try reader.scope(
            scenario: scenario, environment: environment, branch: branch, settings: settings)
    }
}

extension MissingPolicy: ExpressibleByArgument {}
extension Verdict: ExpressibleByArgument {}

/// Which series: k6 notation, or a metric with tags; and which statistic.
struct SeriesOptions: ParsableArguments {
    @Option(help: "The series in k6 notation, e.g. 'http_req_duration{endpoint:reservations}'.")
    var series: String?

    @Option(help: "The metric, with --tag to pick a tagged series.")
    var metric: String?

    @Option(name: .customLong("tag"), help: "A tag key=value of the series (repeatable).")
    var tags: [String] = []

    @Option(help: "The statistic: avg, med, p90, p95, p99, rate, … (default p95 for trends).")
    var stat: String?

    /// The selector the flags describe.
    func selector() throws -> SeriesSelector {
        var pairs: [String: String] = [:]
        for tag in tags {
            guard let equals = tag.firstIndex(of: "="), equals != tag.startIndex else {
                throw ValidationError("--tag \"\(tag)\" is not key=value")
            }
            pairs[String(tag[..<equals])] = String(tag[tag.index(after: equals)...])
        }
        if series != nil && metric != nil {
            throw ValidationError("give --series or --metric, not both")
        }
        return SeriesSelector(series: series, metric: metric, tags: pairs)
    }
}

/// `--base-branch`: the branch whose runs make the baseline, when the CI system and perfdb.yml
/// are not to decide.
struct BaseBranchOption: ParsableArguments {
    @Option(
        name: .customLong("base-branch"),
        help: ArgumentHelp(
            "The branch whose runs make the baseline (default: the pull request's target, "
                + "else base_branch in perfdb.yml, else the repository's default, else main).",
            valueName: "branch"))
    var baseBranch: String?

    /// Sets the configuration's base branch when the flag is given.
    func apply(_ config: inout Config) {
        if let baseBranch { config.baseBranch = baseBranch }
    }
}
