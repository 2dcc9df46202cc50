import Foundation
import PerfDBModel

extension CIContext {
    /// The context one of the supported CI systems sets in `environment`, or an empty one.
    ///
    /// `PERFDB_SCENARIO` and `PERFDB_ENVIRONMENT` name the scenario and environment anywhere.
    public static func fromEnvironment(_ environment: [String: String]) -> CIContext {
        var context = CIContext()
        context.scenario = environment.nonEmpty("PERFDB_SCENARIO")
        context.environment = environment.nonEmpty("PERFDB_ENVIRONMENT")
        for provider in Provider.allCases where provider.isActive(in: environment) {
            return context.filling(from: provider.context(from: environment))
        }
        return context
    }

    /// Commit and branch of the git work tree at `directory`, if it is one and git is installed.
    public static func fromGit(in directory: String) -> CIContext {
        var context = CIContext()
        // Spawning git costs tens of milliseconds: only inside a work tree.
        guard isInsideWorkTree(directory),
            let lines = git(["rev-parse", "HEAD", "--abbrev-ref", "HEAD"], in: directory)?
                .split(separator: "\n").map(String.init), lines.count == 2
        else { return context }
        context.commit = lines[0]
        if lines[1] != "HEAD" { context.branch = lines[1] }
        return context
    }

    /// The base branch's commit a run of `commit` on `branch` started from.
    ///
    /// The newest common ancestor of `commit` and `base` (as `origin/base`, else the local
    /// branch) in the git work tree at `directory`; nil for a run on the base branch itself, or
    /// when git does not know both.
    public static func mergeBase(
        of commit: String?, on branch: String?, with base: String, in directory: String
    ) -> String? {
        guard let commit, let branch, branch != base, isInsideWorkTree(directory) else {
            return nil
        }
        for ref in ["origin/" + base, base] {
            if let base = git(["merge-base", commit, ref], in: directory) { return base }
        }
        return nil
    }

    /// True when `directory` or one of its parents has a `.git`.
    static func isInsideWorkTree(_ directory: String) -> Bool {
        var url = URL(fileURLWithPath: directory).standardizedFileURL
        while true {
            if FileManager.default.fileExists(atPath: url.appending(path: ".git").path) {
                return true
            }
            let parent = url.deletingLastPathComponent()
            if parent.path == url.path { return false }
            url = parent
        }
    }

    /// The output of `git -C directory arguments…`, nil when git is missing or fails.
    ///
    /// Spawned and waited for directly: Foundation's `Process` polls for the exit every 50 ms,
    /// which doubled the time of a check run in a work tree.
    private static func git(_ arguments: [String], in directory: String) -> String? {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { return nil }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[1], 1)
        posix_spawn_file_actions_addclose(&actions, ends[0])
        posix_spawn_file_actions_addclose(&actions, ends[1])
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let words = ["git", "-C", directory] + arguments
        let argv = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child = pid_t()
        let spawned = posix_spawnp(&child, "git", &actions, nil, argv, environ)
        close(ends[1])
        guard spawned == 0 else {
            close(ends[0])
            return nil
        }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(ends[0], $0.baseAddress, $0.count) }
            if count > 0 {
                data.append(contentsOf: buffer[0..<count])
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        close(ends[0])
        var status: Int32 = 0
        while waitpid(child, &status, 0) == -1 && errno == EINTR {}
        // Exited (no signal), with status 0.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else { return nil }
        let text = String(decoding: data, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    /// The CI systems whose variables perfdb reads.
    enum Provider: String, CaseIterable {
        case githubActions = "github-actions"
        case gitlabCI = "gitlab-ci"
        case buildkite
        case circleCI = "circleci"
        case azurePipelines = "azure-pipelines"
        case jenkins

        func isActive(in env: [String: String]) -> Bool {
            switch self {
            case .githubActions: env["GITHUB_ACTIONS"] == "true"
            case .gitlabCI: env["GITLAB_CI"] != nil
            case .buildkite: env["BUILDKITE"] == "true"
            case .circleCI: env["CIRCLECI"] == "true"
            case .azurePipelines: env["TF_BUILD"] != nil
            case .jenkins: env["JENKINS_URL"] != nil
            }
        }

        func context(from env: [String: String]) -> CIContext {
            var context = CIContext()
            context.provider = rawValue
            switch self {
            case .githubActions:
                context.commit = env.nonEmpty("GITHUB_SHA")
                context.branch = env.nonEmpty("GITHUB_HEAD_REF") ?? env.nonEmpty("GITHUB_REF_NAME")
                context.baseBranch = env.nonEmpty("GITHUB_BASE_REF")
                context.build = env.nonEmpty("GITHUB_RUN_ID")
                if let server = env.nonEmpty("GITHUB_SERVER_URL"),
                    let repository = env.nonEmpty("GITHUB_REPOSITORY"), let run = context.build
                {
                    context.buildURL = "\(server)/\(repository)/actions/runs/\(run)"
                }
                if let ref = env.nonEmpty("GITHUB_REF"), ref.hasPrefix("refs/pull/") {
                    context.pullRequest = ref.split(separator: "/").dropFirst(2).first.map(
                        String.init)
                }
                // On a pull request GITHUB_SHA is the test-merge commit: the event names the head.
                if let path = env.nonEmpty("GITHUB_EVENT_PATH") {
                    context = GitHubEvent(path: path)?.context.filling(from: context) ?? context
                }
            case .gitlabCI:
                context.commit = env.nonEmpty("CI_COMMIT_SHA")
                context.branch =
                    env.nonEmpty("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
                    ?? env.nonEmpty("CI_COMMIT_BRANCH") ?? env.nonEmpty("CI_COMMIT_REF_NAME")
                context.build = env.nonEmpty("CI_PIPELINE_ID")
                context.buildURL = env.nonEmpty("CI_PIPELINE_URL") ?? env.nonEmpty("CI_JOB_URL")
                context.pullRequest = env.nonEmpty("CI_MERGE_REQUEST_IID")
                context.baseBranch = env.nonEmpty("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
                context.defaultBranch = env.nonEmpty("CI_DEFAULT_BRANCH")
            case .buildkite:
                context.commit = env.nonEmpty("BUILDKITE_COMMIT")
                context.branch = env.nonEmpty("BUILDKITE_BRANCH")
                context.build = env.nonEmpty("BUILDKITE_BUILD_NUMBER")
                context.buildURL = env.nonEmpty("BUILDKITE_BUILD_URL")
                if let pull = env.nonEmpty("BUILDKITE_PULL_REQUEST"), pull != "false" {
                    context.pullRequest = pull
                    context.baseBranch = env.nonEmpty("BUILDKITE_PULL_REQUEST_BASE_BRANCH")
                }
                context.defaultBranch = env.nonEmpty("BUILDKITE_PIPELINE_DEFAULT_BRANCH")
            case .circleCI:
                context.commit = env.nonEmpty("CIRCLE_SHA1")
                context.branch = env.nonEmpty("CIRCLE_BRANCH")
                context.build = env.nonEmpty("CIRCLE_BUILD_NUM")
                context.buildURL = env.nonEmpty("CIRCLE_BUILD_URL")
                context.pullRequest = env.nonEmpty("CIRCLE_PULL_REQUEST")
                    .flatMap { $0.split(separator: "/").last.map(String.init) }
            case .azurePipelines:
                context.commit = env.nonEmpty("BUILD_SOURCEVERSION")
                context.branch =
                    env.nonEmpty("SYSTEM_PULLREQUEST_SOURCEBRANCH").map(Self.stripRef)
                    ?? env.nonEmpty("BUILD_SOURCEBRANCH").map(Self.stripRef)
                context.build = env.nonEmpty("BUILD_BUILDID")
                if let collection = env.nonEmpty("SYSTEM_COLLECTIONURI"),
                    let project = env.nonEmpty("SYSTEM_TEAMPROJECT"), let build = context.build
                {
                    let base = collection.hasSuffix("/") ? collection : collection + "/"
                    context.buildURL = "\(base)\(project)/_build/results?buildId=\(build)"
                }
                context.pullRequest =
                    env.nonEmpty("SYSTEM_PULLREQUEST_PULLREQUESTNUMBER")
                    ?? env.nonEmpty("SYSTEM_PULLREQUEST_PULLREQUESTID")
                context.baseBranch = env.nonEmpty("SYSTEM_PULLREQUEST_TARGETBRANCH").map(
                    Self.stripRef)
            case .jenkins:
                context.commit = env.nonEmpty("GIT_COMMIT")
                context.branch =
                    env.nonEmpty("CHANGE_BRANCH") ?? env.nonEmpty("BRANCH_NAME")
                    ?? env.nonEmpty("GIT_BRANCH").map { branch in
                        branch.hasPrefix("origin/") ? String(branch.dropFirst(7)) : branch
                    }
                context.build = env.nonEmpty("BUILD_NUMBER")
                context.buildURL = env.nonEmpty("BUILD_URL")
                context.pullRequest = env.nonEmpty("CHANGE_ID")
                context.baseBranch = env.nonEmpty("CHANGE_TARGET")
            }
            return context
        }

        private static func stripRef(_ ref: String) -> String {
            for prefix in ["refs/heads/", "refs/tags/"] where ref.hasPrefix(prefix) {
                return String(ref.dropFirst(prefix.count))
            }
            return ref
        }
    }
}

/// The parts of a GitHub Actions event file (`GITHUB_EVENT_PATH`) perfdb reads.
struct GitHubEvent {
    /// The pull request's head commit, branch, number and base branch, and the repository's
    /// default branch; empty fields for other events.
    let context: CIContext

    /// Reads the event file; nil when it is missing or not JSON.
    init?(path: String) {
        guard let data = FileManager.default.contents(atPath: path),
            let event = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        var context = CIContext()
        if let repository = event["repository"] as? [String: Any] {
            context.defaultBranch = repository["default_branch"] as? String
        }
        if let pull = event["pull_request"] as? [String: Any] {
            let head = pull["head"] as? [String: Any]
            let base = pull["base"] as? [String: Any]
            context.commit = head?["sha"] as? String
            context.branch = head?["ref"] as? String
            context.baseBranch = base?["ref"] as? String
            context.pullRequest = (pull["number"] as? Int).map(String.init)
        }
        self.context = context
    }
}

extension Dictionary where Key == String, Value == String {
    fileprivate func nonEmpty(_ key: String) -> String? {
        guard let value = self[key]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
            return nil
        }
        return value
    }
}
