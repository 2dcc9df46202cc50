import ArgumentParser
import Foundation
import PerfDBDelivery
import PerfDBModel
import PerfDBReport

extension PerfDB {
    /// `perfdb export`: the latest run of a scope as Prometheus metrics.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write the latest run's figures, gate verdict, SLOs and chaos as metrics.",
            discussion: """
                OpenMetrics text (docs/prometheus.md): the scope's latest load run — its key \
                figures per gated series, the gate's verdict (judged as 'perfdb check latest' \
                would, nothing stored), SLO status and compliance over the newest --last runs — \
                and every chaos experiment's MTTR, availability and error rate against their \
                targets. Labels are the scope, series, statistic, SLO and experiment; the run, \
                commit and build are only on perfdb_run_info, so each push replaces the \
                scope's series instead of adding new ones.
                --push URL sends it to a Pushgateway (PUT, grouped by job, scenario, \
                environment and branch) instead of standard output; a failed push exits 74.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var settings: ConfigOptions
        @OptionGroup var scope: JobScopeOptions

        @Option(help: "Output format: openmetrics.")
        var format: MetricsFormat = .openmetrics

        @Option(
            help: ArgumentHelp(
                "Write the metrics to this file (- for stdout; default: stdout, or nothing "
                    + "with --push)."))
        var output: String?

        @Option(
            help: ArgumentHelp(
                "Push the metrics to this Pushgateway (http[s]://host:port).", valueName: "url"))
        var push: String?

        @Option(help: "The Pushgateway job the metrics are grouped under.")
        var job: String = "perfdb"

        @Option(help: "The newest N runs SLO compliance counts.")
        var last: Int = 50

        @Option(help: "Seconds one push attempt may take (three attempts in all).")
        var timeout: Int = 10

        func run() throws {
            var config = try settings.load()
            let selection = scope.resolve(&config)
            let export = try Pipeline(
                warehouse: try global.open(.readOnly), config: config
            ).export(selection, last: max(last, 1))
            let text = export.openMetrics
            if let output { try Report.write(text, to: output) }
            guard let push else {
                if output == nil { try Report.write(text, to: "-") }
                return
            }
            guard let base = URL(string: push) else {
                throw PerfDBError(.usage, "--push: not a URL")
            }
            let group = try Pushgateway.groupURL(
                base: base, job: job, grouping: export.scopeLabels)
            try HTTPDelivery(timeout: .seconds(max(timeout, 1))).send(
                .PUT, to: group,
                body: Array(text.utf8), contentType: "text/plain; version=0.0.4; charset=utf-8")
            let samples = export.families.reduce(0) { $0 + $1.samples.count }
            global.note(
                "pushed \(samples) samples of run \(export.check.run.id.map(String.init) ?? "?") "
                    + "to \(HTTPDelivery.redacted(base)) (job \(job), \(export.check.scope))")
        }
    }

    /// The formats of `export`.
    enum MetricsFormat: String, ExpressibleByArgument, CaseIterable {
        case openmetrics
    }
}
