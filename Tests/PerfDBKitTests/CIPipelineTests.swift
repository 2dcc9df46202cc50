import Foundation
import PerfDBTestSupport
import Testing

@testable import PerfDBAnalysis
@testable import PerfDBIngest
@testable import PerfDBModel
@testable import PerfDBReport

/// The decisions behind perfdb in CI, on in-memory inputs: base branches, team configuration,
/// size limits and annotations.
@Suite struct CIPipelineTests {
    @Test(arguments: [
        (["GITLAB_CI": "true", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "develop"], "develop"),
        (["JENKINS_URL": "https://ci", "CHANGE_TARGET": "release/2"], "release/2"),
        (
            [
                "BUILDKITE": "true", "BUILDKITE_PULL_REQUEST": "12",
                "BUILDKITE_PULL_REQUEST_BASE_BRANCH": "trunk",
            ], "trunk"
        ),
        (["TF_BUILD": "True", "SYSTEM_PULLREQUEST_TARGETBRANCH": "refs/heads/main"], "main"),
        (["GITHUB_ACTIONS": "true", "GITHUB_BASE_REF": "stable"], "stable"),
    ])
    func thePullRequestTargetIsTheBaseBranch(environment: [String: String], base: String) {
        let context = CIContext.fromEnvironment(environment)
        #expect(context.baseBranch == base)
        var config = Config()
        config.chooseBaseBranch(
            pullRequestTarget: context.baseBranch, defaultBranch: context.defaultBranch)
        #expect(config.baseBranch == base)
    }

    @Test func theFileWinsOverTheRepositoryDefaultButNotOverAPullRequest() throws {
        var config = try Config.parse("base_branch: trunk\n", file: "perfdb.yml")
        config.chooseBaseBranch(pullRequestTarget: nil, defaultBranch: "master")
        #expect(config.baseBranch == "trunk")
        config.chooseBaseBranch(pullRequestTarget: "release", defaultBranch: "master")
        #expect(config.baseBranch == "release")
        var defaults = Config()
        defaults.chooseBaseBranch(pullRequestTarget: nil, defaultBranch: "master")
        #expect(defaults.baseBranch == "master")
    }

    @Test func aGitHubPullRequestEventNamesTheHeadCommit() throws {
        let directory = try TestPaths.temporaryDirectory()
        let event = directory.appending(path: "event.json")
        try Data(
            #"{"pull_request":{"number":42,"head":{"sha":"abc123","ref":"fix"},"base":{"ref":"main"}}}"#
                .utf8
        ).write(to: event)
        let context = CIContext.fromEnvironment([
            "GITHUB_ACTIONS": "true", "GITHUB_SHA": "merge", "GITHUB_EVENT_PATH": event.path,
            "GITHUB_REF": "refs/pull/42/merge",
        ])
        #expect(context.commit == "abc123")
        #expect(context.branch == "fix")
        #expect(context.pullRequest == "42")
        #expect(context.baseBranch == "main")
        // A push event has no pull request: GITHUB_SHA stays.
        let push = CIContext.fromEnvironment([
            "GITHUB_ACTIONS": "true", "GITHUB_SHA": "pushed", "GITHUB_EVENT_PATH": "/nonexistent",
        ])
        #expect(push.commit == "pushed")
    }

    @Test func scenariosAndChaosTargetsComeFromTheFile() throws {
        let config = try Config.parse(
            """
            slo:
              scenarios:
                smoke:
                  objectives:
                    - {name: p95, series: http_req_duration, statistic: p95, comparator: "<",
                       target: 500, priority: P0, recommendation: Look at the cache.}
            chaos:
              targets:
                pms: {mttr_s: 90}
            """, file: "perfdb.yml")
        #expect(config.slos(for: "smoke").map(\.name) == ["p95"])
        #expect(config.slos(for: "smoke").first?.recommendation == "Look at the cache.")
        #expect(config.slos(for: "load").map(\.name) == SLODefinition.defaults.map(\.name))
        #expect(!SLODefinition.defaults.contains { $0.name == "throughput" })
        #expect(config.chaosTargets["pms"]?.mttrS == 90)
        #expect(config.source == "perfdb.yml")
        #expect(throws: PerfDBError.self) {
            try Config.parse("chaos:\n  targets:\n    pms: {mttr: 90}\n", file: "perfdb.yml")
        }
    }

    @Test func aBuiltInSLOOnASeriesTheRunLacksIsLeftOutAConfiguredOneIsNot() throws {
        // k6's default summary export has no p99.
        let values: [SeriesStatistic: Double] = [
            SeriesStatistic(series: "http_req_duration", statistic: "p95"): 120,
            SeriesStatistic(series: "http_req_failed", statistic: "rate"): 0,
        ]
        let builtIn = Config().slos(for: "load", values: values).map(\.name)
        #expect(builtIn == ["p95_latency", "error_rate"])
        let team = try Config.parse(
            """
            slo:
              objectives:
                - {name: p99, series: http_req_duration, statistic: p99, comparator: "<",
                   target: 500, priority: P1}
            """, file: "perfdb.yml")
        #expect(team.slos(for: "load", values: values).map(\.name) == ["p99"])
    }

    @Test func markdownKeepsWholeRowsWithinItsLimit() {
        let rows = (0..<500).map { ["series_\($0)", "p95", String($0)] }
        let blocks: [Block] = [
            .line(.strong("headline")),
            .table(
                TextTable(
                    columns: [.init("series"), .init("stat"), .init("value")],
                    rows: [["bad", "p95", "9"]])),
            .chart("xychart-beta\n"),
            .details(
                summary: "All 500 series",
                [
                    .table(
                        TextTable(
                            columns: [.init("series"), .init("stat"), .init("value")], rows: rows))
                ]),
        ]
        let text = Markup.markdown(blocks, limit: 4_000)
        #expect(text.count <= 4_000)
        #expect(text.contains("**headline**"))
        #expect(text.contains("| bad | p95 | 9 |"))
        #expect(text.contains("```mermaid"))
        #expect(text.contains("more rows not shown here"))
        for line in text.split(separator: "\n") where line.hasPrefix("|") {
            #expect(line.hasSuffix("|"))
        }
        #expect(Markup.markdown(blocks, limit: 1_000_000) == Markup.markdown(blocks))
    }

    @Test func annotationsEscapeWhatTheRunnerReads() {
        let annotation = Annotation(
            .error, title: "perfdb regression: a{b:c},d", message: "50 % slower\nsee: x")
        #expect(
            annotation.workflowCommand
                == "::error title=perfdb regression%3A a{b%3Ac}%2Cd::50 %25 slower%0Asee: x")
    }
}
