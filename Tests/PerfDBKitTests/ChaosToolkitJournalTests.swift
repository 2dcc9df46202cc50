import Foundation
import PerfDBTestSupport
import Testing

@testable import PerfDBAnalysis
@testable import PerfDBIngest
@testable import PerfDBModel
@testable import PerfDBReport
@testable import PerfDBStore

@Suite struct ChaosToolkitJournalTests {
    @Test func aHeldSteadyStatePassesWithFiguresFromTheProbes() throws {
        let batch = try fixtureBatch("chaostoolkit", "pms-latency.json")
        #expect(batch.format == .chaosToolkitJournal)
        #expect(batch.tool == "chaostoolkit")
        #expect(batch.toolVersion?.hasPrefix("1.") == true)
        let chaos = try #require(batch.chaos)
        #expect(batch.status == .passed)
        #expect(chaos.steadyStateBefore == true)
        #expect(chaos.steadyStateAfter == true)
        #expect(chaos.family == .pms)
        #expect(chaos.faultType == .latency)
        // Probes during the fault: some timed out, then the service recovered.
        let total = try #require(chaos.requestsTotal)
        let failed = try #require(chaos.requestsFailed)
        #expect(total > 0)
        #expect(failed > 0)
        #expect(chaos.availabilityPct == 100 * Double(total - failed) / Double(total))
        let mttr = try #require(chaos.mttrSeconds)
        #expect(mttr > 0 && mttr < 60)
        #expect(chaos.activities.contains { $0.phase == .method && $0.type == .action })
        #expect(chaos.activities.contains { $0.phase == .steadyStateBefore })
    }

    @Test func aDeviatedRunFailsAlthoughItsStatusSaysCompleted() throws {
        let batch = try fixtureBatch("chaostoolkit", "pms-outage-deviated.json")
        let document = try JSONParser.parse(
            [UInt8](
                try Data(
                    contentsOf: URL(
                        fileURLWithPath: TestPaths.fixture(
                            "chaostoolkit", "pms-outage-deviated.json")))))
        #expect(document["status"] == .string("completed"))
        #expect(document["deviated"] == .bool(true))
        #expect(batch.status == .failed)
        #expect(batch.chaos?.steadyStateAfter == false)
        #expect(batch.chaos?.mttrSeconds == nil, "never recovered during the method")
    }

    @Test func aFailedPreconditionFails() throws {
        let batch = try fixtureBatch("chaostoolkit", "precondition-failed.json")
        #expect(batch.status == .failed)
        #expect(batch.chaos?.steadyStateBefore == false)
        #expect(batch.chaos?.steadyStateAfter == nil)
    }

    @Test func anInterruptedRunIsAborted() throws {
        let batch = try fixtureBatch("chaostoolkit", "interrupted.json")
        #expect(batch.status == .aborted)
    }

    @Test func journalsDateTheRun() throws {
        let batch = try fixtureBatch("chaostoolkit", "pms-latency.json")
        let start = try #require(batch.startedAt)
        let end = try #require(batch.endedAt)
        #expect(end > start)
        let duration = try #require(batch.durationMs)
        #expect(abs(end.timeIntervalSince(start) * 1000 - duration) < 1000)
    }

    /// The journal's raw JSON, to compare with what perfdb read.
    static func journal(_ folder: String, _ name: String) throws -> JSONValue {
        try JSONParser.parse(
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture(folder, name)))))
    }

    @Test(arguments: [
        ("chaostoolkit", "pms-outage-deviated.json"),
        ("chaostoolkit-continuous", "pms-outage-deviated.json"),
        ("chaostoolkit-continuous", "continuous-deviated.json"),
    ])
    func aProbeWhoseToleranceFailedKeepsThatResult(folder: String, name: String) throws {
        let batch = try fixtureBatch(folder, name)
        let chaos = try #require(batch.chaos)
        let after = chaos.activities.filter { $0.phase == .steadyStateAfter }
        #expect(!after.isEmpty)
        // Chaos Toolkit says the probe succeeded (it ran) and that its tolerance failed.
        #expect(after.allSatisfy { $0.status == "succeeded" })
        #expect(after.contains { $0.toleranceMet == false })
        let expected = try Self.journal(folder, name)["steady_states"]?["after"]?["probes"]?
            .arrayValue?.map { $0["tolerance_met"]?.boolValue }
        #expect(after.map(\.toleranceMet) == expected)
        #expect(
            chaos.activities.filter { $0.phase == .method }.allSatisfy { $0.toleranceMet == nil })
    }

    @Test(arguments: ["continuous-held.json", "continuous-deviated.json"])
    func aContinuousHypothesisKeepsItsProbesInTimeOrder(name: String) throws {
        let batch = try fixtureBatch("chaostoolkit-continuous", name)
        let chaos = try #require(batch.chaos)
        let runs = try #require(
            try Self.journal("chaostoolkit-continuous", name)["steady_states"]?["during"]?
                .arrayValue)
        #expect(!runs.isEmpty)
        let probes = runs.flatMap { $0["probes"]?.arrayValue ?? [] }
        let during = chaos.activities.filter { $0.phase == .steadyStateDuring }
        #expect(during.count == probes.count)
        #expect(during.map(\.toleranceMet) == probes.map { $0["tolerance_met"]?.boolValue })
        // Interleaved with the method, in the order they ran.
        let starts = chaos.activities.compactMap(\.startedAt)
        #expect(starts.count == chaos.activities.count)
        #expect(starts == starts.sorted())
        let firstDuring = try #require(
            chaos.activities.firstIndex { $0.phase == .steadyStateDuring })
        let lastMethod = try #require(chaos.activities.lastIndex { $0.phase == .method })
        #expect(firstDuring < lastMethod)
        #expect(batch.status == (name == "continuous-held.json" ? .passed : .failed))
    }
}

@Suite struct ChaosResultTests {
    @Test func aRecoveredPMSFailurePassesWithinTargets() throws {
        let batch = try fixtureBatch("chaos-result", "pms-failure-recovery.json")
        let chaos = try #require(batch.chaos)
        #expect(batch.status == .passed)
        #expect(chaos.family == .pms)
        #expect(chaos.mttrTargetSeconds == 90)
        #expect(try #require(chaos.mttrSeconds) < 90)
        #expect(try #require(chaos.availabilityPct) > 95)
        #expect(chaos.rolledBack == false)
    }

    @Test func aRolledBackExperimentKeepsItsReason() throws {
        let batch = try fixtureBatch("chaos-result", "pms-outage-rollback.json")
        let chaos = try #require(batch.chaos)
        #expect(chaos.rolledBack)
        #expect(chaos.rollbackReason?.isEmpty == false)
        #expect(try #require(chaos.errorRatePct) > 50)
    }
}

@Suite struct CIContextTests {
    @Test(
        arguments: [
            (
                [
                    "GITLAB_CI": "true", "CI_COMMIT_SHA": "c1", "CI_COMMIT_REF_NAME": "main",
                    "CI_PIPELINE_ID": "55",
                    "CI_PIPELINE_URL": "https://gitlab.example/p/55", "CI_MERGE_REQUEST_IID": "12",
                ],
                "gitlab-ci", "c1", "main", "55", "https://gitlab.example/p/55", "12"
            ),
            (
                [
                    "JENKINS_URL": "https://j", "GIT_COMMIT": "c2", "GIT_BRANCH": "origin/release",
                    "BUILD_NUMBER": "7",
                    "BUILD_URL": "https://j/job/7/",
                ],
                "jenkins", "c2", "release", "7", "https://j/job/7/", nil
            ),
            (
                [
                    "CIRCLECI": "true", "CIRCLE_SHA1": "c3", "CIRCLE_BRANCH": "dev",
                    "CIRCLE_BUILD_NUM": "8",
                    "CIRCLE_BUILD_URL": "https://circle/8",
                    "CIRCLE_PULL_REQUEST": "https://github.com/o/r/pull/31",
                ],
                "circleci", "c3", "dev", "8", "https://circle/8", "31"
            ),
            (
                [
                    "BUILDKITE": "true", "BUILDKITE_COMMIT": "c4", "BUILDKITE_BRANCH": "main",
                    "BUILDKITE_BUILD_NUMBER": "9",
                    "BUILDKITE_BUILD_URL": "https://bk/9", "BUILDKITE_PULL_REQUEST": "false",
                ],
                "buildkite", "c4", "main", "9", "https://bk/9", nil
            ),
            (
                [
                    "TF_BUILD": "True", "BUILD_SOURCEVERSION": "c5",
                    "BUILD_SOURCEBRANCH": "refs/heads/main",
                    "BUILD_BUILDID": "10", "SYSTEM_COLLECTIONURI": "https://dev.azure.com/org/",
                    "SYSTEM_TEAMPROJECT": "hotel",
                    "SYSTEM_PULLREQUEST_PULLREQUESTNUMBER": "4",
                ],
                "azure-pipelines", "c5", "main", "10",
                "https://dev.azure.com/org/hotel/_build/results?buildId=10", "4"
            ),
        ] as [([String: String], String, String, String, String, String, String?)])
    func readsEachCISystem(
        env: [String: String], provider: String, commit: String, branch: String, build: String,
        url: String, pullRequest: String?
    ) {
        let context = CIContext.fromEnvironment(env)
        #expect(context.provider == provider)
        #expect(context.commit == commit)
        #expect(context.branch == branch)
        #expect(context.build == build)
        #expect(context.buildURL == url)
        #expect(context.pullRequest == pullRequest)
    }

    @Test func flagsWinOverTheEnvironment() {
        var flags = CIContext()
        flags.commit = "flag"
        let merged = flags.filling(
            from: .fromEnvironment([
                "GITHUB_ACTIONS": "true", "GITHUB_SHA": "env", "GITHUB_REF_NAME": "main",
            ]))
        #expect(merged.commit == "flag")
        #expect(merged.branch == "main")
        #expect(CIContext.fromEnvironment([:]) == CIContext())
    }

    @Test func gitFillsCommitAndBranchOfAWorkTree() throws {
        let directory = try TestPaths.temporaryDirectory()
        let script =
            "git init -q -b trunk && git -c user.name=t -c user.email=t@x commit -q --allow-empty -m x"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = directory
        try process.run()
        process.waitUntilExit()
        let context = CIContext.fromGit(in: directory.path)
        #expect(context.branch == "trunk")
        #expect(context.commit?.count == 40)
        #expect(CIContext.fromGit(in: "/").commit == nil)
        // A branch off trunk: its merge base is trunk's commit; a base git does not know, none.
        let branch = Process()
        branch.executableURL = URL(fileURLWithPath: "/bin/sh")
        branch.arguments = [
            "-c",
            "git checkout -q -b feature && git -c user.name=t -c user.email=t@x commit -q --allow-empty -m y",
        ]
        branch.currentDirectoryURL = directory
        try branch.run()
        branch.waitUntilExit()
        let feature = CIContext.fromGit(in: directory.path)
        #expect(feature.branch == "feature")
        #expect(feature.commit != context.commit)
        #expect(
            CIContext.mergeBase(
                of: feature.commit, on: "feature", with: "trunk", in: directory.path)
                == context.commit)
        #expect(
            CIContext.mergeBase(
                of: feature.commit, on: "feature", with: "no-such-branch", in: directory.path)
                == nil)
    }
}

@Suite struct GzipTests {
    @Test func gzipIsRecognisedByItsMagicBytes() throws {
        let plain = try InputFile.read(TestPaths.fixture("k6-summary-export", "smoke.json"))
        let directory = try TestPaths.temporaryDirectory()
        let path = directory.appending(path: "renamed.json").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", "gzip -c '\(TestPaths.fixture("k6-summary-export", "smoke.json"))' > '\(path)'",
        ]
        try process.run()
        process.waitUntilExit()
        let compressed = try InputFile.read(path)
        #expect(compressed.wasCompressed)
        #expect(compressed.bytes == plain.bytes)
    }

    @Test func concatenatedMembersAreOneStream() throws {
        let fixture = try InputFile.read(TestPaths.fixture("k6-ndjson", "smoke.ndjson.gz"))
        #expect(fixture.wasCompressed)
        let raw = [UInt8](
            try Data(
                contentsOf: URL(fileURLWithPath: TestPaths.fixture("k6-ndjson", "smoke.ndjson.gz")))
        )
        let twice = try InputFile(name: "twice.gz", bytes: raw + raw)
        #expect(twice.bytes == fixture.bytes + fixture.bytes)
    }

    @Test func aCutStreamIsBadInput() throws {
        let raw = [UInt8](
            try Data(
                contentsOf: URL(fileURLWithPath: TestPaths.fixture("k6-ndjson", "smoke.ndjson.gz")))
        )
        #expect {
            _ = try InputFile(name: "cut.gz", bytes: Array(raw.prefix(raw.count / 2)))
        } throws: { error in
            let error = error as? PerfDBError
            return error?.code == .badInput && error?.message.contains("cut short") == true
        }
    }
}
