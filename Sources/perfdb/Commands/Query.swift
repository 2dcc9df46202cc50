import ArgumentParser
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBReport
import PerfDBStore

extension PerfDB {
    /// `perfdb query`: read-only SQL over the warehouse.
    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one read-only SQL statement over the warehouse.",
            discussion: """
                The database is opened read-only. Statements that would write, attach files, \
                change pragmas or load extensions are refused with exit 64. Tables: run, \
                run_label, series, series_tag, measurement, threshold_result, check_result, \
                slo_evaluation, slo_result, chaos_experiment, chaos_activity, baseline, verdict \
                (docs/schema.md).
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: "The SQL statement.")
        var sql: String

        func run() throws {
            let warehouse = try Warehouse(path: global.databasePath, access: .readOnly)
            try output.emit(QueryView(try warehouse.query(sql)))
        }
    }
}
