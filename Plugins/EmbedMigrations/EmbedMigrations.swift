import Foundation
import PackagePlugin

/// Embeds the migrations of the target's engine into it as Swift source.
///
/// The binary never reads SQL files from disk at run time: `migrations/postgresql/*.sql` go
/// into PerfDBPostgres, `migrations/sqlite/*.sql` into the others. Into the `perfdb` executable
/// it embeds the commit the build was made from (`--version`), read from the repository's
/// `.git` when there is one.
@main
struct EmbedMigrations: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        if target.name == "perfdb" { return try buildInfo(context) }
        let engine = target.name == "PerfDBPostgres" ? "postgresql" : "sqlite"
        let directory = context.package.directoryURL.appending(path: "migrations/\(engine)")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }
            .sorted()
        let inputs = names.map { directory.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations.swift")
        let tool = try context.tool(named: "EmbedMigrationsTool")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) \(engine) migrations",
                executable: tool.url,
                arguments: [output.path] + inputs.map(\.path),
                inputFiles: inputs + [directory],
                outputFiles: [output]
            )
        ]
    }
    /// The command that writes `BuildInfo.swift`; it runs again when HEAD or its branch moves.
    private func buildInfo(_ context: PluginContext) throws -> [Command] {
        let git = context.package.directoryURL.appending(path: ".git")
        var inputs: [URL] = []
        let head = git.appending(path: "HEAD")
        if let text = try? String(contentsOf: head, encoding: .utf8) {
            inputs.append(head)
            let line = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.hasPrefix("ref: ") {
                let ref = git.appending(path: String(line.dropFirst(5)))
                if FileManager.default.fileExists(atPath: ref.path) { inputs.append(ref) }
            }
            let packed = git.appending(path: "packed-refs")
            if FileManager.default.fileExists(atPath: packed.path) { inputs.append(packed) }
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "BuildInfo.swift")
        return [
            .buildCommand(
                displayName: "Embedding the build's commit",
                executable: try context.tool(named: "EmbedMigrationsTool").url,
                arguments: ["--build-info", output.path, git.path],
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
