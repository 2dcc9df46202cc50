import ArgumentParser
import Foundation
import PerfDBTestSupport
import Testing

@testable import perfdb

/// The documentation carries weight: every command is in docs/cli.md, and `--help` texts are
/// reviewed as golden files.
@Suite struct DocsTests {
    /// Every command path, for example `perfdb runs list`.
    static func commandPaths(_ command: ParsableCommand.Type = PerfDB.self, prefix: String = "")
        -> [String]
    {
        let configuration = command.configuration
        let name = configuration.commandName ?? command._commandName
        let path = prefix.isEmpty ? name : "\(prefix) \(name)"
        if configuration.subcommands.isEmpty { return [path] }
        return [path] + configuration.subcommands.flatMap { commandPaths($0, prefix: path) }
    }

    @Test func everyCommandIsInTheCLIReference() throws {
        let reference = try String(
            contentsOf: TestPaths.root.appending(path: "docs/cli.md"), encoding: .utf8)
        let paths = Self.commandPaths()
        #expect(paths.contains("perfdb runs list"))
        for path in paths {
            #expect(reference.contains("## `\(path)"), "docs/cli.md has no section for \(path)")
        }
    }

    @Test(arguments: commandPaths())
    func helpMatchesItsGoldenFile(path: String) throws {
        let cli = try CLI()
        let arguments = Array(path.split(separator: " ").dropFirst().map(String.init)) + ["--help"]
        let result = try cli.run(arguments, environment: ["COLUMNS": "100"])
        #expect(result.status == 0)
        let name = "help-" + path.replacingOccurrences(of: " ", with: "-") + ".txt"
        #expect(Snapshot.mismatch(result.stdout, named: name) == nil)
    }

    @Test func theReadmeLeadsWithTheTwoSetUpCommands() throws {
        let readme = try String(
            contentsOf: TestPaths.root.appending(path: "README.md"), encoding: .utf8)
        let head = readme.prefix(1500)
        #expect(head.contains("make demo"))
        #expect(head.contains("make test"))
    }
}
