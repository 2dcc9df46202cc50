import ArgumentParser
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBPostgres
import PerfDBReport
import PerfDBStore

extension PerfDB {
    /// `perfdb query`: read-only SQL over the warehouse.
    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "query",
            abstract: "Run one read-only SQL statement over the warehouse.",
            discussion: """
                The database is opened read-only (on PostgreSQL: a read-only transaction that \
                the server cancels after --statement-timeout). Statements that would write, \
                attach files, change pragmas or load extensions are refused with exit 64. Tables: run, \
                run_label, series, series_tag, measurement, threshold_result, check_result, \
                slo_evaluation, slo_result, chaos_experiment, chaos_activity, distribution, \
                timeline, run_error, baseline, verdict; views for dashboards: v_measurement, \
                v_verdict, v_slo, v_chaos, v_run, v_series (docs/schema.md, docs/grafana.md).
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The SQL statement.")
        var sql: String

        @Option(
            help: ArgumentHelp(
                "PostgreSQL: cancel the statement after this many seconds (exit 75).",
                valueName: "seconds"))
        var statementTimeout: Int = 30

        func run() throws {
            let warehouse = try global.open(.readOnly)
            (warehouse as? PostgresStore)?.statementTimeout = .seconds(max(statementTimeout, 1))
            try output.emit(QueryView(try warehouse.query(sql)))
        }
    }
}
