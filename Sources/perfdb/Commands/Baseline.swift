import ArgumentParser
import Foundation
import PerfDBAnalysis
import PerfDBIngest
import PerfDBModel
import PerfDBReport
import PerfDBStore

extension PerfDB {
    /// `perfdb baseline`: pin, show, audit and measure drift from baselines.
    struct Baseline: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "baseline",
            abstract: "Pin a baseline, show it, list its history, or measure drift from it.",
            subcommands: [
                BaselineSet.self, BaselineShow.self, BaselineHistory.self, BaselineDrift.self,
            ])
    }
}

/// Who is setting a baseline: the flag, else the CI's actor, else the user.
func baselineActor(_ flag: String?) -> String? {
    let environment = ProcessInfo.processInfo.environment
    return flag ?? environment["GITHUB_ACTOR"] ?? environment["GITLAB_USER_LOGIN"]
        ?? environment["BUILD_REQUESTEDFOR"] ?? environment["BUILDKITE_BUILD_CREATOR"]
        ?? environment["USER"]
}
