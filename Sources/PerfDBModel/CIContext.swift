import Foundation

/// Where and from what a run came: commit, branch, build, pull request, scenario, environment.
///
/// Filled from flags first, then the CI system's environment variables, then `git`.
public struct CIContext: Sendable, Equatable {
    public var scenario: String?
    public var environment: String?
    public var branch: String?
    public var commit: String?
    public var build: String?
    public var buildURL: String?
    public var pullRequest: String?
    public var startedAt: Date?
    /// The CI system the context was read from (`github-actions`, `gitlab-ci`, …), if any.
    public var provider: String?
    /// The branch a pull request would merge into (`GITHUB_BASE_REF`, …): its baseline judges.
    public var baseBranch: String?
    /// The repository's default branch, when the CI system says it.
    public var defaultBranch: String?
    /// Labels given as `key=value`.
    public var labels: [String: String] = [:]

    /// Creates an empty context.
    public init() {}

    /// Fills every field still empty from `other`.
    public func filling(from other: CIContext) -> CIContext {
        var merged = self
        merged.scenario = scenario ?? other.scenario
        merged.environment = environment ?? other.environment
        merged.branch = branch ?? other.branch
        merged.commit = commit ?? other.commit
        merged.build = build ?? other.build
        merged.buildURL = buildURL ?? other.buildURL
        merged.pullRequest = pullRequest ?? other.pullRequest
        merged.startedAt = startedAt ?? other.startedAt
        merged.provider = provider ?? other.provider
        merged.baseBranch = baseBranch ?? other.baseBranch
        merged.defaultBranch = defaultBranch ?? other.defaultBranch
        merged.labels = other.labels.merging(labels) { _, mine in mine }
        return merged
    }
}
